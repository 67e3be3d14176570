// Native text trace format: one event per line, '#' comments, blank lines ignored.
// Grammar and examples in docs/trace-format.md. Errors are TraceError "FILE:LINE: what".
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "vtdsim/trace/compressed_input.hpp"
#include "vtdsim/trace/trace_event.hpp"
#include "vtdsim/trace/trace_source.hpp"

namespace vtdsim::trace {

// Parses the event part of one line (comments already removed is not required: '#' and what
// follows are ignored). Returns false for a blank/comment-only line. Throws std::invalid_argument
// with the reason (no file/line) for a malformed line. Time order is not checked here.
bool parse_text_event(const std::string& line, TraceEvent& out);

// The canonical one-line text of an event (no newline). parse_text_event(format_text_event(e))
// gives back e (for the fields that event kind uses).
std::string format_text_event(const TraceEvent& event);

// True if the first line of the content that is not blank or a comment parses as a text event
// (format detection; `head` is the first bytes of the decompressed content).
bool looks_like_text_trace(const std::string& head);

class TextTraceReader final : public TraceSource {
 public:
  // Opens path ("-" = stdin), plain, gzip or zstd. Throws TraceError.
  explicit TextTraceReader(const std::string& path);
  // Reads from an input already opened (e.g. after format detection with peek()).
  explicit TextTraceReader(std::unique_ptr<CompressedInput> input);

  // Next event. A malformed line, a time earlier than the previous event's, or an out-of-range
  // value throws TraceError("FILE:LINE: what"); the bad line is consumed, so calling next()
  // again continues with the following line (--skip-bad).
  std::optional<TraceEvent> next() override;
  std::string position() const override;  // "FILE:LINE" of the last line read

  const CompressedInput& input() const { return *input_; }

 private:
  std::unique_ptr<CompressedInput> input_;
  std::string line_;
  std::uint64_t last_time_ = 0;
  bool input_failed_ = false;  // decompression or I/O failed: reported once, then the end
};

// Writes events in the canonical text form. Times must be non-decreasing (as the reader checks).
class TextTraceWriter {
 public:
  explicit TextTraceWriter(std::ostream& out, bool header = true);
  void write(const TraceEvent& event);
  void comment(const std::string& text);  // "# text"
  std::uint64_t events_written() const { return events_; }

 private:
  std::ostream& out_;
  std::uint64_t events_ = 0;
};

}  // namespace vtdsim::trace
