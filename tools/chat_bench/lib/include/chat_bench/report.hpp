// A scenario's result: named numbers with units, facts, notes and problems, printed as an
// aligned text summary or as one JSON object (what bench/run.py reads).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace chat_bench {

struct Metric {
    std::string key;  // snake_case, stable: scripts read it
    double value = 0;
    std::string unit;   // "frames/s", "us", "KiB", ...
    std::string label;  // what a reader sees in the text summary
};

class Report {
  public:
    explicit Report(std::string scenario) : scenario_(std::move(scenario)) {}

    void fact(std::string key, std::string value);  // configuration and other strings
    void add(std::string key, double value, std::string unit, std::string label);
    void note(std::string text);     // worth knowing, not a failure
    void problem(std::string text);  // the run failed a check (gaps, errors, refusals)

    bool ok() const { return problems_.empty(); }
    const std::vector<Metric>& metrics() const { return metrics_; }
    const std::vector<std::string>& problems() const { return problems_; }
    double value(const std::string& key, double fallback = 0) const;

    std::string text() const;
    std::string json() const;

  private:
    std::string scenario_;
    std::vector<std::pair<std::string, std::string>> facts_;
    std::vector<Metric> metrics_;
    std::vector<std::string> notes_, problems_;
};

}  // namespace chat_bench
