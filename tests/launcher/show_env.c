/* Prints what ringlet hands over, one item a line: LD_PRELOAD, the RINGLET_*
 * variables (RINGLET_LIB aside), argv, and for each LD_PRELOAD entry whether
 * it is mapped into this process. Knows nothing of ringlet; also runs under
 * the real library. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char** environ;

static int mapped(const char* entry) {
  char want[PATH_MAX], line[PATH_MAX + 128];
  if (!realpath(entry, want)) return 0;
  FILE* f = fopen("/proc/self/maps", "r");
  if (!f) return 0;
  int found = 0;
  while (fgets(line, sizeof line, f)) {
    char* path = strchr(line, '/');
    if (!path) continue;
    path[strcspn(path, "\n")] = '\0';
    if (strcmp(path, want) == 0) found = 1;
  }
  fclose(f);
  return found;
}

int main(int argc, char** argv) {
  const char* preload = getenv("LD_PRELOAD");
  printf("LD_PRELOAD=%s\n", preload ? preload : "(unset)");
  for (char** e = environ; *e; ++e)
    if (strncmp(*e, "RINGLET_", 8) == 0 && strncmp(*e, "RINGLET_LIB=", 12) != 0) printf("%s\n", *e);
  for (int i = 0; i < argc; ++i) printf("argv[%d]=%s\n", i, argv[i]);
  if (preload) {
    char* list = strdup(preload);
    for (char* tok = strtok(list, ": "); tok; tok = strtok(NULL, ": "))
      printf("mapped %s=%s\n", tok, mapped(tok) ? "yes" : "no");
    free(list);
  }
  return 0;
}
