// CompressedInput's read-ahead thread (issue #4): the same bytes, lines, end of input and errors
// as decoding in the caller's thread, whatever the chunk size; lines split across chunks; long
// lines; errors after the data that precedes them; no hang when the reader goes away early.
#include <gtest/gtest.h>

#include <chrono>
#include <fcntl.h>
#include <initializer_list>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "support/trace_test_util.hpp"
#include "vtdsim/trace/compressed_input.hpp"
#include "vtdsim/trace/trace_error.hpp"

using vtdsim::testutil::TempFile;
using vtdsim::trace::CompressedInput;
using vtdsim::trace::InputOptions;
using vtdsim::trace::ReadAhead;
using vtdsim::trace::TraceError;

namespace {

InputOptions options(ReadAhead mode, std::size_t chunk_bytes = 1u << 18, std::size_t chunks = 4) {
  InputOptions o;
  o.read_ahead = mode;
  o.chunk_bytes = chunk_bytes;
  o.chunks = chunks;
  return o;
}

// Lines of varied length (0 to a few hundred bytes), some with "\r\n", last one without "\n".
std::string varied_text(int lines) {
  std::string s;
  for (int i = 0; i < lines; ++i) {
    s += "l" + std::to_string(i) + std::string(static_cast<std::size_t>((i * 37) % 300), 'a' + i % 26);
    s += i % 11 == 0 ? "\r\n" : "\n";
    if (i % 97 == 0) s += "\n";  // an empty line
  }
  s += "tail without newline";
  return s;
}

struct Outcome {
  std::vector<std::string> lines;
  std::string error;  // what() of the TraceError that ended the reading, if any
  bool ahead = false;
};

Outcome read_all_lines(const std::string& path, const InputOptions& o) {
  Outcome out;
  CompressedInput in(path, o);
  std::string line;
  try {
    while (in.read_line(line)) out.lines.push_back(line);
  } catch (const TraceError& e) {
    out.error = e.what();
  }
  out.ahead = in.reading_ahead();
  return out;
}

}  // namespace

// Reads `text` plain, gzip and zstd with and without the thread, with the given chunk sizes.
void expect_same_lines_every_way(const std::string& text, std::size_t lines,
                                 std::initializer_list<std::size_t> chunk_sizes) {
  TempFile plain, gz, zs;
  plain.write(text);
  gz.write(vtdsim::testutil::gzip_bytes(text));
  zs.write(vtdsim::testutil::zstd_bytes(text));
  for (const TempFile* f : {&plain, &gz, &zs}) {
    const Outcome reference = read_all_lines(f->path(), options(ReadAhead::kNever));
    ASSERT_EQ(reference.error, "");
    ASSERT_FALSE(reference.ahead);
    ASSERT_EQ(reference.lines.size(), lines);
    EXPECT_EQ(reference.lines.front(), "l0");  // "\r\n" handled
    EXPECT_EQ(reference.lines.back(), "tail without newline");
    for (std::size_t chunk : chunk_sizes) {
      for (std::size_t chunks : {std::size_t{2}, std::size_t{8}}) {
        const Outcome got = read_all_lines(f->path(), options(ReadAhead::kAlways, chunk, chunks));
        EXPECT_TRUE(got.ahead);
        EXPECT_EQ(got.error, "");
        EXPECT_TRUE(got.lines == reference.lines) << f->path() << " chunk " << chunk << " x " << chunks;
      }
    }
  }
}

TEST(CompressedInputReadAhead, SameLinesAsWithoutThreadForEveryChunkSize) {
  // Odd chunk sizes (most lines split), the default; rings of 2 and 8.
  expect_same_lines_every_way(varied_text(3000), 3000 + 31 + 1, {509, 4096, std::size_t{1} << 18});
  // Chunks of one byte: every line split at every byte.
  expect_same_lines_every_way(varied_text(100), 100 + 2 + 1, {1});
}

TEST(CompressedInputReadAhead, AutoUsesTheThreadForCompressedInputOnly) {
  const std::string text = varied_text(100);
  TempFile plain, gz;
  plain.write(text);
  gz.write(vtdsim::testutil::gzip_bytes(text));
  EXPECT_FALSE(read_all_lines(plain.path(), InputOptions()).ahead);
  if (std::thread::hardware_concurrency() != 1) {
    EXPECT_TRUE(read_all_lines(gz.path(), InputOptions()).ahead);
  }
}

TEST(CompressedInputReadAhead, LineSpanningManyChunksAndTheLineLimit) {
  const std::string long_line(CompressedInput::kMaxLineBytes, 'x');  // exactly the limit: fine
  TempFile gz;
  gz.write(vtdsim::testutil::gzip_bytes("a\r\n" + long_line + "\nb\n"));  // (a "\r" would count)
  for (ReadAhead mode : {ReadAhead::kNever, ReadAhead::kAlways}) {
    const Outcome got = read_all_lines(gz.path(), options(mode, 1000, 3));
    EXPECT_EQ(got.error, "");
    ASSERT_EQ(got.lines.size(), 3u);
    EXPECT_EQ(got.lines[1], long_line);
    EXPECT_EQ(got.lines[2], "b");
  }
  TempFile too_long;
  too_long.write(vtdsim::testutil::zstd_bytes("a\n" + long_line + "y\nb\n"));
  for (ReadAhead mode : {ReadAhead::kNever, ReadAhead::kAlways}) {
    const Outcome got = read_all_lines(too_long.path(), options(mode, 4096, 2));
    EXPECT_EQ(got.lines.size(), 1u);
    EXPECT_EQ(got.error, too_long.path() + ":2: line is longer than 1 MiB (not a text trace?)");
  }
}

TEST(CompressedInputReadAhead, ViewsStayValidUntilTheNextCall) {
  TempFile zs;
  zs.write(vtdsim::testutil::zstd_bytes("first\nsecond line\nthird"));
  CompressedInput in(zs.path(), options(ReadAhead::kAlways, 5, 2));  // every line crosses chunks
  std::string_view v;
  ASSERT_TRUE(in.read_line_view(v));
  EXPECT_EQ(v, "first");
  ASSERT_TRUE(in.read_line_view(v));
  EXPECT_EQ(v, "second line");
  EXPECT_EQ(in.line_number(), 2u);
  ASSERT_TRUE(in.read_line_view(v));
  EXPECT_EQ(v, "third");
  EXPECT_FALSE(in.read_line_view(v));
  EXPECT_FALSE(in.read_line_view(v));  // end stays the end
}

TEST(CompressedInputReadAhead, ErrorsComeAfterTheDataBeforeThemAndStay) {
  const std::string text = varied_text(20000);
  const std::string gz = vtdsim::testutil::gzip_bytes(text);
  const std::string zs = vtdsim::testutil::zstd_bytes(text);
  std::string corrupt_gz = gz;
  for (std::size_t i = gz.size() / 2; i < gz.size() / 2 + 64; ++i)
    corrupt_gz[i] = static_cast<char>(corrupt_gz[i] ^ 0x5a);
  const std::string cases[] = {gz.substr(0, gz.size() / 2), gz.substr(0, gz.size() - 4), corrupt_gz,
                               zs.substr(0, zs.size() / 2), zs.substr(0, zs.size() - 1)};
  for (const std::string& bytes : cases) {
    TempFile f;
    f.write(bytes);
    const Outcome reference = read_all_lines(f.path(), options(ReadAhead::kNever));
    ASSERT_NE(reference.error, "") << "bad input accepted";
    EXPECT_EQ(reference.error.rfind(f.path() + ": ", 0), 0u) << reference.error;
    for (std::size_t chunk : {std::size_t{1021}, std::size_t{1} << 16}) {
      const Outcome got = read_all_lines(f.path(), options(ReadAhead::kAlways, chunk, 2));
      EXPECT_EQ(got.error, reference.error);
      // Every line before the damage, then the error.
      EXPECT_EQ(got.lines.size(), reference.lines.size()) << reference.error << " chunk " << chunk;
      EXPECT_TRUE(got.lines == reference.lines) << reference.error << " chunk " << chunk;
    }
    // The error stays: reading again throws again, never hangs or ends quietly.
    CompressedInput in(f.path(), options(ReadAhead::kAlways, 4096, 2));
    std::string line;
    EXPECT_THROW(while (in.read_line(line)){}, TraceError);
    EXPECT_THROW(in.read_line(line), TraceError);
    char buf[16];
    EXPECT_THROW(in.read(buf, sizeof buf), TraceError);
  }
}

TEST(CompressedInputReadAhead, ByteReadsAcrossChunksAndPeekFirst) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data += static_cast<char>((i * 7919) & 0xff);
  TempFile zs;
  zs.write(vtdsim::testutil::zstd_bytes(data));
  CompressedInput in(zs.path(), options(ReadAhead::kAlways, 1000, 3));
  EXPECT_EQ(in.peek(10), data.substr(0, 10));
  std::string got;
  char record[13];
  std::size_t n = 0;
  while (in.read_exact(record, sizeof record, &n)) got.append(record, n);
  got.append(record, n);  // the last, partial record
  EXPECT_TRUE(in.reading_ahead());
  EXPECT_EQ(got, data);
  EXPECT_EQ(in.raw_bytes_read(), in.raw_size());
  EXPECT_EQ(in.read(record, 1), 0u);
}

TEST(CompressedInputReadAhead, LeavingEarlyDoesNotWaitForTheWholeFile) {
  std::string text;
  for (int i = 0; i < 400000; ++i) text += "some line of a long log " + std::to_string(i) + "\n";
  TempFile gz;
  gz.write(vtdsim::testutil::gzip_bytes(text));
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    CompressedInput in(gz.path(), options(ReadAhead::kAlways, 4096, 2));
    std::string line;
    ASSERT_TRUE(in.read_line(line));
    EXPECT_EQ(line, "some line of a long log 0");
  }
  // Each reader stops after at most a chunk or two, not after inflating the whole 10 MB.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(CompressedInputReadAhead, PipeDeliversWhatIsThereAndTheReaderCanLeaveWhileItBlocks) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string path = "/dev/fd/" + std::to_string(fds[0]);
  ASSERT_EQ(::write(fds[1], "abcd\nsecond\n", 12), 12);
  {
    CompressedInput in(path, options(ReadAhead::kAlways));
    EXPECT_EQ(in.raw_size(), 0u);  // a pipe: size unknown
    std::string line;
    // Both lines arrive although the writer is still open and the chunk is far from full.
    ASSERT_TRUE(in.read_line(line));
    EXPECT_EQ(line, "abcd");
    ASSERT_TRUE(in.read_line(line));
    EXPECT_EQ(line, "second");
    EXPECT_TRUE(in.reading_ahead());
    // The thread now waits in read(2) for more; leaving must not wait for the writer.
  }
  ASSERT_EQ(::write(fds[1], "more\n", 5), 5);
  ::close(fds[1]);  // lets the left-behind thread see the end and finish
  ::close(fds[0]);
  {
    int again[2];
    ASSERT_EQ(::pipe(again), 0);
    ASSERT_EQ(::write(again[1], "x\ny", 3), 3);
    ::close(again[1]);
    CompressedInput in("/dev/fd/" + std::to_string(again[0]), options(ReadAhead::kAlways));
    std::string line;
    ASSERT_TRUE(in.read_line(line));
    EXPECT_EQ(line, "x");
    ASSERT_TRUE(in.read_line(line));
    EXPECT_EQ(line, "y");
    EXPECT_FALSE(in.read_line(line));
    ::close(again[0]);
  }
}
