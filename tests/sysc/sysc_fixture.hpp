// Fixture for SystemC tests. SystemC 2.3.4 allows one elaboration and one sc_start sequence per
// simulation context, and resetting the global context (sc_curr_simcontext tricks) leaves static
// kernel state behind. So every SystemC scenario runs in a forked child process: the parent
// never elaborates, each child gets a fresh kernel, and the child's gtest assertions are reported
// by the child (it prints them) and turned into its exit status, which the parent checks.
#pragma once
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <functional>

namespace vtdsim::test {

class SyscTest : public ::testing::Test {
 protected:
  // Runs body in a child process with a fresh SystemC context; fails if any assertion failed
  // there, or the child crashed.
  static void run_isolated(const std::function<void()>& body) {
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0) << "fork failed";
    if (pid == 0) {
      // Never return into gtest from the child (it would run the remaining tests again).
      int code = 0;
      try {
        body();
        code = ::testing::Test::HasFailure() ? 1 : 0;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "exception in SystemC child: %s\n", e.what());
        code = 3;
      } catch (...) {
        std::fprintf(stderr, "unknown exception in SystemC child\n");
        code = 3;
      }
      std::fflush(stdout);
      std::fflush(stderr);
      _exit(code);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << "SystemC child crashed (signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0)
                                   << ")";
    EXPECT_EQ(WEXITSTATUS(status), 0) << "assertions failed in the SystemC child (see its output above)";
  }
};

}  // namespace vtdsim::test
