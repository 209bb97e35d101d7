/* make-elf KIND OUT: writes a small crafted ELF file (mode 0755) that a real
 * toolchain here cannot produce: another architecture, or broken headers.
 *
 *   i386       32-bit i386 executable with a loader
 *   aarch64    64-bit aarch64 PIE with a loader
 *   ppc64be    64-bit big-endian ppc64 (only the header)
 *   badloader  x86-64 executable whose loader does not exist
 *   truncated  x86-64 header whose program headers lie past the end
 *   short      the ELF magic and two more bytes
 *   rel        an x86-64 relocatable object (not a program)
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char kLoader32[] = "/lib/ld-linux.so.2";
static const char kLoader64[] = "/lib/ld-linux-aarch64.so.1";
static const char kMissing[] = "/nonexistent/ld-ringlet-test.so.1";

static size_t elf64(unsigned char* buf, uint16_t type, uint16_t machine, const char* interp) {
  Elf64_Ehdr eh;
  memset(&eh, 0, sizeof eh);
  memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = type;
  eh.e_machine = machine;
  eh.e_version = EV_CURRENT;
  eh.e_entry = 0x401000;
  eh.e_ehsize = sizeof eh;
  eh.e_phentsize = sizeof(Elf64_Phdr);
  size_t n = sizeof eh;
  if (interp) {
    Elf64_Phdr ph;
    memset(&ph, 0, sizeof ph);
    ph.p_type = PT_INTERP;
    ph.p_offset = sizeof eh + sizeof ph;
    ph.p_filesz = ph.p_memsz = strlen(interp) + 1;
    eh.e_phoff = sizeof eh;
    eh.e_phnum = 1;
    memcpy(buf + n, &ph, sizeof ph);
    n += sizeof ph;
    memcpy(buf + n, interp, strlen(interp) + 1);
    n += strlen(interp) + 1;
  }
  memcpy(buf, &eh, sizeof eh);
  return n;
}

static size_t elf32_i386(unsigned char* buf) {
  Elf32_Ehdr eh;
  Elf32_Phdr ph;
  memset(&eh, 0, sizeof eh);
  memset(&ph, 0, sizeof ph);
  memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS32;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_EXEC;
  eh.e_machine = EM_386;
  eh.e_version = EV_CURRENT;
  eh.e_entry = 0x8049000;
  eh.e_phoff = sizeof eh;
  eh.e_ehsize = sizeof eh;
  eh.e_phentsize = sizeof ph;
  eh.e_phnum = 1;
  ph.p_type = PT_INTERP;
  ph.p_offset = sizeof eh + sizeof ph;
  ph.p_filesz = ph.p_memsz = sizeof kLoader32;
  memcpy(buf, &eh, sizeof eh);
  memcpy(buf + sizeof eh, &ph, sizeof ph);
  memcpy(buf + sizeof eh + sizeof ph, kLoader32, sizeof kLoader32);
  return sizeof eh + sizeof ph + sizeof kLoader32;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: make-elf KIND OUT\n");
    return 2;
  }
  const char* kind = argv[1];
  unsigned char buf[1024];
  memset(buf, 0, sizeof buf);
  size_t n = 0;
  if (!strcmp(kind, "i386")) {
    n = elf32_i386(buf);
  } else if (!strcmp(kind, "aarch64")) {
    n = elf64(buf, ET_DYN, EM_AARCH64, kLoader64);
  } else if (!strcmp(kind, "ppc64be")) {
    n = elf64(buf, ET_EXEC, 0, NULL);
    buf[EI_DATA] = ELFDATA2MSB;
    buf[16] = 0, buf[17] = ET_EXEC;  /* e_type, big-endian */
    buf[18] = 0, buf[19] = EM_PPC64; /* e_machine, big-endian */
  } else if (!strcmp(kind, "badloader")) {
    n = elf64(buf, ET_EXEC, EM_X86_64, kMissing);
  } else if (!strcmp(kind, "truncated")) {
    n = elf64(buf, ET_EXEC, EM_X86_64, NULL);
    Elf64_Ehdr eh;
    memcpy(&eh, buf, sizeof eh);
    eh.e_phoff = 4096;
    eh.e_phnum = 3;
    memcpy(buf, &eh, sizeof eh);
  } else if (!strcmp(kind, "short")) {
    memcpy(buf, ELFMAG "\2\1", SELFMAG + 2);
    n = SELFMAG + 2;
  } else if (!strcmp(kind, "rel")) {
    n = elf64(buf, ET_REL, EM_X86_64, NULL);
  } else {
    fprintf(stderr, "make-elf: unknown kind %s\n", kind);
    return 2;
  }
  FILE* f = fopen(argv[2], "wb");
  if (!f || fwrite(buf, 1, n, f) != n || fclose(f) != 0) {
    perror(argv[2]);
    return 1;
  }
  return chmod(argv[2], 0755) == 0 ? 0 : 1;
}
