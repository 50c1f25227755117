#include "chat_bench/report.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace chat_bench {
namespace {

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (const char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    return out + "\"";
}

std::string json_number(double v) {
    if (!std::isfinite(v)) return "null";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

// Thousands separators for big counts, a few significant digits for the rest.
std::string human(double v) {
    char buf[48];
    if (std::fabs(v) < 10000) {
        std::snprintf(buf, sizeof buf, "%.4g", v);
        return buf;
    }
    std::snprintf(buf, sizeof buf, "%.0f", v);
    const std::string digits = buf;
    std::string out;
    const std::size_t lead = digits[0] == '-' ? 1 : 0;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        out += digits[i];
        const std::size_t left = digits.size() - i - 1;
        if (i >= lead && left > 0 && left % 3 == 0) out += ',';
    }
    return out;
}

}  // namespace

void Report::fact(std::string key, std::string value) {
    facts_.emplace_back(std::move(key), std::move(value));
}

void Report::add(std::string key, double value, std::string unit, std::string label) {
    metrics_.push_back({std::move(key), value, std::move(unit), std::move(label)});
}

void Report::note(std::string text) {
    notes_.push_back(std::move(text));
}

void Report::problem(std::string text) {
    problems_.push_back(std::move(text));
}

double Report::value(const std::string& key, double fallback) const {
    for (const auto& m : metrics_)
        if (m.key == key) return m.value;
    return fallback;
}

std::string Report::text() const {
    std::ostringstream out;
    out << "== " << scenario_ << (ok() ? "" : " (FAILED)") << " ==\n";
    std::size_t width = 0;
    for (const auto& [k, v] : facts_) width = std::max(width, k.size());
    for (const auto& m : metrics_) width = std::max(width, m.label.size());
    auto pad = [&](const std::string& s) { return s + std::string(width - s.size(), ' '); };
    for (const auto& [k, v] : facts_) out << "  " << pad(k) << "  " << v << "\n";
    for (const auto& m : metrics_)
        out << "  " << pad(m.label) << "  " << human(m.value) << (m.unit.empty() ? "" : " ")
            << m.unit << "\n";
    for (const auto& n : notes_) out << "  note: " << n << "\n";
    for (const auto& p : problems_) out << "  PROBLEM: " << p << "\n";
    return out.str();
}

std::string Report::json() const {
    std::ostringstream out;
    out << "{\"scenario\":" << json_string(scenario_) << ",\"ok\":" << (ok() ? "true" : "false");
    out << ",\"facts\":{";
    for (std::size_t i = 0; i < facts_.size(); ++i)
        out << (i ? "," : "") << json_string(facts_[i].first) << ":"
            << json_string(facts_[i].second);
    out << "},\"metrics\":{";
    for (std::size_t i = 0; i < metrics_.size(); ++i)
        out << (i ? "," : "") << json_string(metrics_[i].key) << ":"
            << json_number(metrics_[i].value);
    out << "},\"units\":{";
    for (std::size_t i = 0; i < metrics_.size(); ++i)
        out << (i ? "," : "") << json_string(metrics_[i].key) << ":"
            << json_string(metrics_[i].unit);
    out << "}";
    auto list = [&](const char* name, const std::vector<std::string>& items) {
        out << ",\"" << name << "\":[";
        for (std::size_t i = 0; i < items.size(); ++i)
            out << (i ? "," : "") << json_string(items[i]);
        out << "]";
    };
    list("notes", notes_);
    list("problems", problems_);
    out << "}";
    return out.str();
}

}  // namespace chat_bench
