// stat with a bad path or a bad buffer fails with EFAULT (no crash).
#include <stdio.h>
#include <sys/stat.h>
#include <errno.h>
#include <string.h>
int main(){
  struct stat s;
  errno=0; int r = stat((const char*)1, &s); printf("stat(bad path): %d %s\n", r, strerror(errno)); fflush(stdout);
  errno=0; r = stat("/etc/passwd", (struct stat*)8); printf("stat(bad buf): %d %s\n", r, strerror(errno));
  return 0;
}
