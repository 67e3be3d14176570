// Small RFC 4180 CSV table (sweep and miss-ratio-curve output, `vtdsim merge`): fields with a
// comma, quote or line break are quoted, quotes doubled. Rows never span lines here (writers
// replace line breaks in text fields by spaces).
#pragma once
#include <ostream>
#include <string>
#include <vector>

namespace vtdsim::study {

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

// One field: line breaks become spaces, then quoted if it holds a comma or a quote.
std::string csv_field(const std::string& text);
// One line of fields joined by commas (no newline).
std::string csv_line(const std::vector<std::string>& fields);
// Splits one line. Throws std::invalid_argument on an unterminated quote.
std::vector<std::string> parse_csv_line(const std::string& line);

// Reads a file (first line = header; every row must have as many fields). Throws
// std::runtime_error("FILE:LINE: ...").
CsvTable read_csv(const std::string& path);
void write_csv(std::ostream& out, const CsvTable& table);

// Joins tables read from `paths`: all must have the same header; rows are identified by the
// column `key_column` (e.g. "point") and a key seen twice is an error naming both files. The
// result is sorted by that key (numerically if every key is a number). Throws std::runtime_error.
CsvTable merge_csv(const std::vector<std::string>& paths, const std::string& key_column = "point");

}  // namespace vtdsim::study
