#include "vtdsim/sysc/simulation_child.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>

namespace vtdsim::sysc {

namespace {
void write_all(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    const ssize_t k = ::write(fd, s.data() + done, s.size() - done);
    if (k <= 0) return;
    done += static_cast<std::size_t>(k);
  }
}
}  // namespace

nlohmann::json run_in_child(const std::function<nlohmann::json()>& simulate, const std::string& what,
                            bool quiet_stdout) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error(what + ": pipe failed");
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(what + ": fork failed");
  if (pid == 0) {
    ::close(fds[0]);
    if (quiet_stdout) {
      ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
      ::dup2(STDERR_FILENO, STDOUT_FILENO);
    }
    std::string out;
    try {
      out = simulate().dump();
    } catch (const std::exception& e) {
      out = nlohmann::json{{"error", e.what()}}.dump();
    }
    write_all(fds[1], out);
    ::close(fds[1]);
    std::fflush(nullptr);
    ::_exit(0);  // no static destructors: the SystemC kernel of this child is not torn down
  }
  ::close(fds[1]);
  std::string in;
  char buf[65536];
  ssize_t k;
  while ((k = ::read(fds[0], buf, sizeof buf)) > 0) in.append(buf, static_cast<std::size_t>(k));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || in.empty())
    throw std::runtime_error(what + ": the simulation crashed (wait status " + std::to_string(status) + ")");
  return nlohmann::json::parse(in);
}

}  // namespace vtdsim::sysc
