// Drives a window on the virtual display the way a person would (tests/gui/run_under_xvfb.sh):
// real pointer and key events from xdotool, screenshots from ImageMagick, and the window's
// own test hooks (NETCHAT_GUI_TEST=1) read from its stdout to know where widgets are.
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "server_process.hpp"

namespace testing_support {

struct Rect {
    int x = 0, y = 0, w = 0, h = 0;
    int cx() const { return x + w / 2; }
    int cy() const { return y + h / 2; }
};

// Runs a tool found on PATH; returns its exit status, its output in `output`.
int run_tool(const std::vector<std::string>& args, std::string* output = nullptr);
// A real pointer move and click on the virtual display (at a rect's centre or a point).
bool click(const Rect& r);
bool click_at(int x, int y);
// A key held for a moment: ImGui 1.86 samples key state once per frame, so a press and
// release inside one frame would go unseen.
bool press_key(const std::string& key);
// The whole virtual screen to `dir`/`name`; false (with a message) when it fails.
bool screenshot(const std::string& dir, const std::string& name);

// A window process with its stdout parsed: "widget NAME X Y W H", "state ...", any other
// line kept as the last value of its first word(s) for wait_line predicates.
class GuiProcess {
  public:
    // NETCHAT_GUI_TEST=1 is set for the child; its stderr goes to `log_path`, and the stdout
    // lines this process reads to `log_path`.out.
    GuiProcess(const std::string& binary, const std::vector<std::string>& args,
               const std::string& log_path);
    ~GuiProcess();
    GuiProcess(const GuiProcess&) = delete;
    GuiProcess& operator=(const GuiProcess&) = delete;

    std::uint16_t wait_listening(std::string* engine) { return proc_.wait_listening(engine); }
    // Reads lines until `pred` accepts one; false on timeout.
    bool wait_line(const std::function<bool(const std::string&)>& pred,
                   std::chrono::milliseconds timeout = std::chrono::seconds(15));
    bool wait_widget(const std::string& name,
                     std::chrono::milliseconds timeout = std::chrono::seconds(15));
    bool wait_state(const std::string& part,
                    std::chrono::milliseconds timeout = std::chrono::seconds(15));
    // Waits for a line that is exactly `line`, or was printed earlier.
    bool wait_exact(const std::string& line,
                    std::chrono::milliseconds timeout = std::chrono::seconds(15));
    // Gives the window the keyboard, as a window manager would on a click: Xvfb has none, and
    // GLFW hands the focus to each window it creates, so keys would go to the newest one.
    bool focus();
    // A click in this window, given the keyboard first (click to focus).
    bool click(const Rect& r) { return focus() && testing_support::click(r); }
    bool click_at(int x, int y) { return focus() && testing_support::click_at(x, y); }
    // Clicks widget `name` until the state line shows `state_part` (three tries): a click
    // that lands while the window is busy with a software-rendered frame can go unseen.
    bool click_until(const std::string& name, const std::string& state_part);
    // Takes every line printed until the window has been quiet for `quiet`.
    void settle(std::chrono::milliseconds quiet = std::chrono::milliseconds(400));
    Rect widget(const std::string& name) const { return widgets_.at(name); }
    bool has_widget(const std::string& name) const { return widgets_.count(name) > 0; }
    // The newest line read that starts with `prefix` (empty if none).
    std::string last_line(const std::string& prefix) const;
    const std::string& state() const { return state_; }
    ServerProcess& process() { return proc_; }

  private:
    void record(const std::string& line);
    ServerProcess proc_;
    std::map<std::string, Rect> widgets_;
    std::string state_;
    std::vector<std::string> seen_;  // every other line, for wait_exact
    std::FILE* out_log_ = nullptr;
};

}  // namespace testing_support
