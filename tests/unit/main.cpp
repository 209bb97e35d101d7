// The one Catch2 main shared by every unit-test executable. Executables that
// need io_uring (built with RINGLET_TEST_NEEDS_URING) are skipped with exit
// status 77 and a reason where the kernel does not offer it; so are those
// that test WRFSBASE (RINGLET_TEST_NEEDS_FSGSBASE) where the kernel does not
// enable FSGSBASE.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <linux/io_uring.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char* argv[]) {
#ifdef RINGLET_TEST_NEEDS_URING
  io_uring_params p{};
  long fd = syscall(SYS_io_uring_setup, 4, &p);
  if (fd < 0) {
    std::printf("SKIP: io_uring unavailable (%s)\n", std::strerror(errno));
    return 77;
  }
  close(int(fd));
#endif
#ifdef RINGLET_TEST_NEEDS_FSGSBASE
  if (!(getauxval(AT_HWCAP2) & 2 /* HWCAP2_FSGSBASE */)) {
    std::printf("SKIP: the kernel does not enable FSGSBASE (no HWCAP2_FSGSBASE in AT_HWCAP2): "
                "per-fiber TLS uses arch_prctl here, and WRFSBASE cannot be tested\n");
    return 77;
  }
#endif
  return Catch::Session().run(argc, argv);
}
