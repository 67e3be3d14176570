// Errors while reading trace input (compressed or not, any format). The message is
// "FILE:LINE: what is wrong" (or "FILE: what is wrong" when no line applies).
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace vtdsim::trace {

class TraceError : public std::runtime_error {
 public:
  TraceError(const std::string& file, std::uint64_t line, const std::string& what)
      : std::runtime_error(format(file, line, what)), file_(file), line_(line), reason_(what) {}
  // A message already formatted by the caller ("FILE@record N: what", ...).
  explicit TraceError(const std::string& message) : std::runtime_error(message), file_(), line_(0), reason_(message) {}
  const std::string& file() const { return file_; }
  std::uint64_t line() const { return line_; }           // 0: not tied to a line
  const std::string& reason() const { return reason_; }  // the message without "FILE:LINE: "

  static std::string format(const std::string& file, std::uint64_t line, const std::string& what) {
    return line ? file + ":" + std::to_string(line) + ": " + what : file + ": " + what;
  }

 private:
  std::string file_;
  std::uint64_t line_;
  std::string reason_;
};

}  // namespace vtdsim::trace
