#include "gui_driver.hpp"

#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <regex>
#include <sstream>
#include <thread>

namespace testing_support {

using namespace std::chrono_literals;

int run_tool(const std::vector<std::string>& args, std::string* output) {
    std::string out;
    const int status = run_capture("/usr/bin/env", args, out);
    if (output) *output = out;
    return status;
}

bool click_at(int x, int y) {
    if (run_tool({"xdotool", "mousemove", "--sync", std::to_string(x), std::to_string(y)}) != 0)
        return false;
    std::this_thread::sleep_for(150ms);  // let a frame see the hover first
    return run_tool({"xdotool", "click", "1"}) == 0;
}

bool click(const Rect& r) {
    return click_at(r.cx(), r.cy());
}

bool press_key(const std::string& key) {
    return run_tool({"xdotool", "keydown", key, "sleep", "0.15", "keyup", key}) == 0;
}

bool screenshot(const std::string& dir, const std::string& name) {
    ::mkdir(dir.c_str(), 0755);
    const std::string path = dir + "/" + name;
    std::string out;
    if (run_tool({"import", "-window", "root", path}, &out) != 0) {
        std::printf("screenshot failed: %s\n", out.c_str());
        return false;
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || st.st_size < 10000) {
        std::printf("screenshot %s looks empty\n", path.c_str());
        return false;
    }
    std::printf("screenshot: %s\n", path.c_str());
    return true;
}

GuiProcess::GuiProcess(const std::string& binary, const std::vector<std::string>& args,
                       const std::string& log_path)
    : proc_((::setenv("NETCHAT_GUI_TEST", "1", 1), binary), args, log_path),
      out_log_(std::fopen((log_path + ".out").c_str(), "w")) {}

GuiProcess::~GuiProcess() {
    if (out_log_) std::fclose(out_log_);
}

std::string GuiProcess::last_line(const std::string& prefix) const {
    for (auto it = seen_.rbegin(); it != seen_.rend(); ++it)
        if (it->rfind(prefix, 0) == 0) return *it;
    return {};
}

bool GuiProcess::wait_line(const std::function<bool(const std::string&)>& pred,
                           std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        auto line = proc_.read_line(left);
        if (!line) return false;
        record(*line);
        if (pred(*line)) return true;
    }
}

bool GuiProcess::wait_widget(const std::string& name, std::chrono::milliseconds timeout) {
    if (widgets_.count(name)) return true;
    return wait_line([&](const std::string&) { return widgets_.count(name) > 0; }, timeout);
}

bool GuiProcess::wait_state(const std::string& part, std::chrono::milliseconds timeout) {
    if (state_.find(part) != std::string::npos) return true;
    return wait_line([&](const std::string&) { return state_.find(part) != std::string::npos; },
                     timeout);
}

bool GuiProcess::wait_exact(const std::string& line, std::chrono::milliseconds timeout) {
    if (std::find(seen_.begin(), seen_.end(), line) != seen_.end()) return true;
    return wait_line([&](const std::string& l) { return l == line; }, timeout);
}

bool GuiProcess::focus() {
    // Two steps: this xdotool is too old to chain "search ... windowfocus".
    std::string ids;
    if (run_tool({"xdotool", "search", "--onlyvisible", "--pid", std::to_string(proc_.pid())},
                 &ids) != 0)
        return false;
    // The output mixes a note on stderr with the ids: take the first all-digit line.
    std::istringstream lines(ids);
    for (std::string id; std::getline(lines, id);)
        if (!id.empty() && id.find_first_not_of("0123456789") == std::string::npos)
            return run_tool({"xdotool", "windowfocus", "--sync", id}) == 0;
    return false;
}

bool GuiProcess::click_until(const std::string& name, const std::string& state_part) {
    for (int attempt = 1; attempt <= 3; ++attempt) {
        if (!wait_widget(name) || !click(widget(name))) return false;
        if (wait_state(state_part, 3s)) return true;
        std::printf("click on %s did not lead to '%s' (try %d)\n", name.c_str(), state_part.c_str(),
                    attempt);
        settle(300ms);
    }
    return false;
}

void GuiProcess::settle(std::chrono::milliseconds quiet) {
    const auto give_up = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < give_up)
        if (auto line = proc_.read_line(quiet))
            record(*line);
        else
            return;
}

void GuiProcess::record(const std::string& line) {
    if (out_log_) {
        std::fprintf(out_log_, "%s\n", line.c_str());
        std::fflush(out_log_);
    }
    static const std::regex widget(R"(^widget (\S+) (-?\d+) (-?\d+) (\d+) (\d+)$)");
    std::smatch m;
    if (std::regex_match(line, m, widget))
        widgets_[m[1]] = {std::stoi(m[2]), std::stoi(m[3]), std::stoi(m[4]), std::stoi(m[5])};
    else if (line.rfind("state ", 0) == 0)
        state_ = line.substr(6);
    else
        seen_.push_back(line);
}

}  // namespace testing_support
