/* Built with -static (and -static-pie): ringlet must refuse to run it. */
#include <stdio.h>

int main(void) {
  puts("hello from a static program");
  return 0;
}
