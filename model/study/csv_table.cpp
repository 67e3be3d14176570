#include "vtdsim/study/csv_table.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <stdexcept>

namespace vtdsim::study {

std::string csv_field(const std::string& text) {
  // Line breaks become spaces first, so a field read back and written again is the same bytes
  // (merged shards equal the sweep that wrote them).
  std::string flat = text;
  for (char& c : flat)
    if (c == '\n' || c == '\r') c = ' ';
  if (flat.find_first_of(",\"") == std::string::npos) return flat;
  std::string out = "\"";
  for (char c : flat) {
    if (c == '"')
      out += "\"\"";
    else
      out += c;
  }
  out += '"';
  return out;
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    out += csv_field(fields[i]);
  }
  return out;
}

std::vector<std::string> parse_csv_line(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(field);
      field.clear();
    } else if (c != '\r') {
      field += c;
    }
  }
  if (quoted) throw std::invalid_argument("unterminated quoted field");
  fields.push_back(field);
  return fields;
}

CsvTable read_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open");
  CsvTable table;
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line == "\r") continue;
    std::vector<std::string> fields;
    try {
      fields = parse_csv_line(line);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(path + ":" + std::to_string(number) + ": " + e.what());
    }
    if (table.header.empty()) {
      table.header = std::move(fields);
      continue;
    }
    if (fields.size() != table.header.size())
      throw std::runtime_error(path + ":" + std::to_string(number) + ": " + std::to_string(fields.size()) +
                               " fields, the header has " + std::to_string(table.header.size()));
    table.rows.push_back(std::move(fields));
  }
  if (table.header.empty()) throw std::runtime_error(path + ": empty file (no header)");
  return table;
}

void write_csv(std::ostream& out, const CsvTable& table) {
  out << csv_line(table.header) << '\n';
  for (const auto& row : table.rows) out << csv_line(row) << '\n';
}

CsvTable merge_csv(const std::vector<std::string>& paths, const std::string& key_column) {
  if (paths.empty()) throw std::runtime_error("merge: no input files");
  CsvTable merged;
  std::size_t key = 0;
  std::map<std::string, std::string> seen;  // key -> file
  for (const auto& path : paths) {
    CsvTable t = read_csv(path);
    if (merged.header.empty()) {
      merged.header = t.header;
      const auto it = std::find(merged.header.begin(), merged.header.end(), key_column);
      if (it == merged.header.end()) throw std::runtime_error(path + ": no \"" + key_column + "\" column");
      key = static_cast<std::size_t>(it - merged.header.begin());
    } else if (t.header != merged.header) {
      throw std::runtime_error(path + ": header differs from " + paths.front() + " (\"" + csv_line(t.header) +
                               "\" vs \"" + csv_line(merged.header) + "\")");
    }
    for (auto& row : t.rows) {
      auto [it, inserted] = seen.emplace(row[key], path);
      if (!inserted)
        throw std::runtime_error(path + ": " + key_column + " " + row[key] + " is also in " + it->second +
                                 " (duplicate)");
      merged.rows.push_back(std::move(row));
    }
  }
  const bool numeric = std::all_of(merged.rows.begin(), merged.rows.end(), [key](const auto& row) {
    return !row[key].empty() && row[key].size() < 20 && row[key].find_first_not_of("0123456789") == std::string::npos;
  });
  std::stable_sort(merged.rows.begin(), merged.rows.end(), [key, numeric](const auto& a, const auto& b) {
    if (numeric) return std::stoull(a[key]) < std::stoull(b[key]);
    return a[key] < b[key];
  });
  return merged;
}

}  // namespace vtdsim::study
