#include "vtdsim/trace/compressed_input.hpp"

#include <gtest/gtest.h>

#include <string>

#include "support/trace_test_util.hpp"
#include "vtdsim/trace/trace_error.hpp"

using vtdsim::testutil::TempFile;
using vtdsim::trace::CompressedInput;
using vtdsim::trace::Compression;
using vtdsim::trace::TraceError;

namespace {

// Big enough to cross the internal buffers several times.
std::string sample_text() {
  std::string s;
  for (int i = 0; i < 50000; ++i) s += "line " + std::to_string(i) + " some payload text\n";
  s += "last line without newline";
  return s;
}

std::vector<std::string> all_lines(const std::string& path) {
  CompressedInput in(path);
  std::vector<std::string> lines;
  std::string line;
  while (in.read_line(line)) lines.push_back(line);
  return lines;
}

void expect_same_lines(const std::string& path, const std::string& text) {
  auto lines = all_lines(path);
  ASSERT_EQ(lines.size(), 50001u);
  EXPECT_EQ(lines[0], "line 0 some payload text");
  EXPECT_EQ(lines[49999], "line 49999 some payload text");
  EXPECT_EQ(lines[50000], "last line without newline");
  (void)text;
}

}  // namespace

TEST(CompressedInput, PlainGzipAndZstdByMagicNotName) {
  const std::string text = sample_text();
  TempFile plain(".gz");  // misleading names on purpose
  plain.write(text);
  TempFile gz(".txt");
  gz.write(vtdsim::testutil::gzip_bytes(text));
  TempFile zs(".gz");
  zs.write(vtdsim::testutil::zstd_bytes(text));
  EXPECT_EQ(CompressedInput(plain.path()).compression(), Compression::kNone);
  EXPECT_EQ(CompressedInput(gz.path()).compression(), Compression::kGzip);
  EXPECT_EQ(CompressedInput(zs.path()).compression(), Compression::kZstd);
  expect_same_lines(plain.path(), text);
  expect_same_lines(gz.path(), text);
  expect_same_lines(zs.path(), text);
}

TEST(CompressedInput, ByteReadsAndPeek) {
  TempFile gz;
  gz.write(vtdsim::testutil::gzip_bytes("hello world\nsecond\r\n"));
  CompressedInput in(gz.path());
  EXPECT_EQ(in.peek(5), "hello");
  EXPECT_EQ(in.peek(100), "hello world\nsecond\r\n");  // shorter than asked: the whole input
  char buf[6] = {};
  EXPECT_EQ(in.read(buf, 5), 5u);
  EXPECT_EQ(std::string(buf, 5), "hello");
  std::string line;
  ASSERT_TRUE(in.read_line(line));
  EXPECT_EQ(line, " world");
  ASSERT_TRUE(in.read_line(line));
  EXPECT_EQ(line, "second");  // CR removed
  EXPECT_FALSE(in.read_line(line));
  EXPECT_EQ(in.read(buf, 5), 0u);
}

TEST(CompressedInput, ConcatenatedGzipMembersAndZstdFrames) {
  TempFile gz;
  gz.write(vtdsim::testutil::gzip_bytes("a\nb\n") + vtdsim::testutil::gzip_bytes("c\n"));
  auto lines = all_lines(gz.path());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2], "c");
  TempFile zs;
  zs.write(vtdsim::testutil::zstd_bytes("a\nb\n") + vtdsim::testutil::zstd_bytes("c\n"));
  lines = all_lines(zs.path());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2], "c");
}

TEST(CompressedInput, EmptyFile) {
  TempFile empty;
  empty.write("");
  CompressedInput in(empty.path());
  std::string line;
  EXPECT_FALSE(in.read_line(line));
  EXPECT_EQ(in.peek(4), "");
}

TEST(CompressedInput, TruncatedAndCorruptGzipThrow) {
  const std::string full = vtdsim::testutil::gzip_bytes(sample_text());
  TempFile cut;
  cut.write(full.substr(0, full.size() / 2));
  try {
    all_lines(cut.path());
    FAIL() << "truncated gzip accepted";
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("gzip data is truncated"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(cut.path()), std::string::npos) << e.what();
  }
  TempFile cut_trailer;  // only the 8-byte CRC/size trailer missing
  cut_trailer.write(full.substr(0, full.size() - 4));
  EXPECT_THROW(all_lines(cut_trailer.path()), TraceError);
  std::string bad = full;
  for (std::size_t i = 20; i < 200; ++i) bad[i] = static_cast<char>(bad[i] ^ 0x5a);
  TempFile corrupt;
  corrupt.write(bad);
  try {
    all_lines(corrupt.path());
    FAIL() << "corrupt gzip accepted";
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("gzip data"), std::string::npos) << e.what();
  }
}

TEST(CompressedInput, TruncatedAndCorruptZstdThrow) {
  const std::string full = vtdsim::testutil::zstd_bytes(sample_text());
  TempFile cut;
  cut.write(full.substr(0, full.size() / 2));
  try {
    all_lines(cut.path());
    FAIL() << "truncated zstd accepted";
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("zstd data is truncated"), std::string::npos) << e.what();
  }
  std::string bad = full;
  for (std::size_t i = 12; i < 100; ++i) bad[i] = static_cast<char>(bad[i] ^ 0x5a);
  TempFile corrupt;
  corrupt.write(bad);
  EXPECT_THROW(all_lines(corrupt.path()), TraceError);
}

TEST(CompressedInput, MissingFileIsAClearError) {
  try {
    CompressedInput in("/nonexistent/dir/file.trace");
    FAIL();
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/file.trace: cannot open"), std::string::npos);
  }
}
