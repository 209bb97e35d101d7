// What the first bytes of an executable file say about how exec will run it.
// Reads ELF headers and "#!" lines directly (no libelf); a short or garbled
// file is reported as such, never trusted.
#pragma once

#include <cstdint>
#include <string>

namespace launcher {

enum class FileKind {
  kElf,         // a complete ELF header and program headers
  kBadElf,      // ELF magic, but truncated or inconsistent headers
  kScript,      // starts with "#!"
  kText,        // none of these and no NUL in the first line: execvp hands it to /bin/sh
  kBinary,      // neither: exec will refuse it (ENOEXEC)
  kUnreadable,  // could not be opened or read (e.g. execute-only): exec decides
};

struct ElfInfo {
  uint8_t elf_class = 0;   // ELFCLASS32 / ELFCLASS64
  uint8_t data = 0;        // ELFDATA2LSB / ELFDATA2MSB
  uint16_t machine = 0;    // EM_X86_64, EM_386, ...
  // The rest is filled only for files in this host's byte order.
  uint16_t type = 0;       // ET_EXEC, ET_DYN, ...
  uint64_t entry = 0;
  bool has_interp = false; // PT_INTERP: started by the dynamic loader
  std::string interp;      // its path, e.g. /lib64/ld-linux-x86-64.so.2
  bool pie = false;        // DF_1_PIE: an executable, even without PT_INTERP
};

struct FileInfo {
  FileKind kind = FileKind::kUnreadable;
  int error = 0;           // errno for kUnreadable
  ElfInfo elf;             // kElf (class, data and machine also for kBadElf)
  std::string script_interp;  // kScript: the interpreter as written
  std::string script_arg;     // kScript: the rest of the line, trimmed
};

FileInfo inspect_file(const char* path);

// "64-bit x86-64", "32-bit i386", "64-bit big-endian ppc64", ...
std::string describe_arch(const ElfInfo& elf);

// Same class, byte order and machine.
bool same_arch(const ElfInfo& a, const ElfInfo& b);

}  // namespace launcher
