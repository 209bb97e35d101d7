#include "inspect.h"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace launcher {
namespace {

// Linux reads this much of a file to choose its format (BINPRM_BUF_SIZE);
// a "#!" line is only looked for within it.
constexpr size_t kHeadSize = 256;
// The kernel refuses program header tables larger than this.
constexpr size_t kMaxPhdrBytes = 65536;
// Far more than any real dynamic section; a bound against garbage sizes.
constexpr size_t kMaxDynamicBytes = 1 << 20;

bool read_at(int fd, void* buf, size_t len, uint64_t off) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = pread(fd, (char*)buf + done, len - done, (off_t)(off + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += (size_t)n;
  }
  return true;
}

// DF_1_PIE in the dynamic section: a position-independent executable, not a
// library (ld.so refuses to preload one).
template <class Dyn>
bool read_pie_flag(int fd, uint64_t off, uint64_t size, ElfInfo* out) {
  if (size > kMaxDynamicBytes) return false;
  std::vector<Dyn> dyn(size / sizeof(Dyn));
  if (!dyn.empty() && !read_at(fd, dyn.data(), dyn.size() * sizeof(Dyn), off)) return false;
  for (const Dyn& d : dyn) {
    if (d.d_tag == DT_NULL) break;
    if (d.d_tag == DT_FLAGS_1 && (d.d_un.d_val & DF_1_PIE)) out->pie = true;
  }
  return true;
}

// Fills type, entry, the PT_INTERP fields and pie from a header in host byte
// order. False if the headers are truncated or inconsistent.
template <class Ehdr, class Phdr, class Dyn>
bool parse_elf(int fd, const unsigned char* head, size_t len, ElfInfo* out) {
  Ehdr eh;
  if (len < sizeof eh) return false;
  memcpy(&eh, head, sizeof eh);
  out->type = eh.e_type;
  out->entry = eh.e_entry;
  size_t bytes = (size_t)eh.e_phnum * sizeof(Phdr);
  if (eh.e_phnum && (eh.e_phentsize != sizeof(Phdr) || bytes > kMaxPhdrBytes)) return false;
  std::vector<Phdr> ph(eh.e_phnum);
  if (bytes && !read_at(fd, ph.data(), bytes, eh.e_phoff)) return false;
  for (const Phdr& p : ph) {
    if (p.p_type == PT_INTERP) {
      if (p.p_filesz < 2 || p.p_filesz > 4096) return false;
      std::string s(p.p_filesz, '\0');
      if (!read_at(fd, s.data(), s.size(), p.p_offset)) return false;
      s.resize(strnlen(s.c_str(), s.size()));
      out->has_interp = true;
      out->interp = s;
    } else if (p.p_type == PT_DYNAMIC && !read_pie_flag<Dyn>(fd, p.p_offset, p.p_filesz, out)) {
      return false;
    }
  }
  return true;
}

FileKind classify_elf(int fd, const unsigned char* head, size_t len, ElfInfo* elf) {
  if (len < EI_NIDENT + 4) return FileKind::kBadElf;
  elf->elf_class = head[EI_CLASS];
  elf->data = head[EI_DATA];
  // e_machine sits at offset 18 in both classes: readable in either byte order.
  bool big = elf->data == ELFDATA2MSB;
  elf->machine = big ? (uint16_t)(head[18] << 8 | head[19]) : (uint16_t)(head[19] << 8 | head[18]);
  bool native = elf->data == (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB);
  if (elf->data != ELFDATA2LSB && !big) return FileKind::kBadElf;
  if (!native) return FileKind::kElf;  // foreign byte order: its architecture says enough
  bool ok = false;
  if (elf->elf_class == ELFCLASS64) ok = parse_elf<Elf64_Ehdr, Elf64_Phdr, Elf64_Dyn>(fd, head, len, elf);
  if (elf->elf_class == ELFCLASS32) ok = parse_elf<Elf32_Ehdr, Elf32_Phdr, Elf32_Dyn>(fd, head, len, elf);
  return ok ? FileKind::kElf : FileKind::kBadElf;
}

// "#!interp arg\n", as Linux's binfmt_script reads it.
void parse_shebang(const unsigned char* head, size_t len, FileInfo* out) {
  std::string line((const char*)head + 2, len - 2);
  line = line.substr(0, line.find('\n'));
  line = line.substr(0, line.find('\0'));
  const char* ws = " \t";
  size_t b = line.find_first_not_of(ws);
  if (b == std::string::npos) return;  // "#!" alone: exec decides
  size_t e = line.find_first_of(ws, b);
  out->script_interp = line.substr(b, e - b);
  if (e == std::string::npos) return;
  size_t ab = line.find_first_not_of(ws, e);
  size_t ae = line.find_last_not_of(ws);
  if (ab != std::string::npos) out->script_arg = line.substr(ab, ae + 1 - ab);
}

// Like bash: a NUL before the first newline means binary, not a shell script.
bool looks_binary(const unsigned char* head, size_t len) {
  for (size_t i = 0; i < len && head[i] != '\n'; ++i)
    if (head[i] == '\0') return true;
  return false;
}

}  // namespace

FileInfo inspect_file(const char* path) {
  FileInfo info;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    info.error = errno;
    return info;
  }
  unsigned char head[kHeadSize];
  ssize_t n;
  do n = pread(fd, head, sizeof head, 0); while (n < 0 && errno == EINTR);
  if (n < 0) {
    info.error = errno;
  } else {
    size_t len = (size_t)n;
    if (len >= SELFMAG && memcmp(head, ELFMAG, SELFMAG) == 0)
      info.kind = classify_elf(fd, head, len, &info.elf);
    else if (len >= 2 && head[0] == '#' && head[1] == '!')
      info.kind = FileKind::kScript, parse_shebang(head, len, &info);
    else
      info.kind = looks_binary(head, len) ? FileKind::kBinary : FileKind::kText;
  }
  close(fd);
  return info;
}

bool same_arch(const ElfInfo& a, const ElfInfo& b) {
  return a.elf_class == b.elf_class && a.data == b.data && a.machine == b.machine;
}

std::string describe_arch(const ElfInfo& elf) {
  struct Name { uint16_t em; const char* name; };
  static constexpr Name kNames[] = {
      {EM_X86_64, "x86-64"}, {EM_386, "i386"},       {EM_AARCH64, "aarch64"},
      {EM_ARM, "arm"},       {EM_RISCV, "riscv"},    {EM_PPC64, "ppc64"},
      {EM_PPC, "ppc"},       {EM_S390, "s390"},      {EM_MIPS, "mips"},
      {EM_SPARCV9, "sparc64"}, {EM_LOONGARCH, "loongarch"},
  };
  std::string s = elf.elf_class == ELFCLASS32 ? "32-bit " : elf.elf_class == ELFCLASS64 ? "64-bit " : "";
  if (elf.data == ELFDATA2MSB) s += "big-endian ";
  for (const Name& n : kNames)
    if (n.em == elf.machine) return s + n.name;
  return s + "machine " + std::to_string(elf.machine);
}

}  // namespace launcher
