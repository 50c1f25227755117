// The platform window: GLFW with an OpenGL 3 context, and Dear ImGui bound to it. Owns their
// set-up and tear-down so main() reads as the frame loop only.
#pragma once

#include <string>

struct GLFWwindow;

namespace server_gui {

class AppWindow {
  public:
    AppWindow() = default;
    ~AppWindow();
    AppWindow(const AppWindow&) = delete;
    AppWindow& operator=(const AppWindow&) = delete;

    // False (with `error` set) when there is no display or no OpenGL 3.
    bool open(const std::string& title, int width, int height, std::string& error);
    bool should_close() const;
    void set_title(const std::string& title);
    void move_to(int x, int y);
    static double now();  // seconds on GLFW's clock

    // Sleeps until input arrives, another thread calls wake(), or `timeout_s` passes.
    void wait(double timeout_s);
    static void wake();  // any thread, while the window is open
    // Seconds since the last mouse or keyboard input.
    double idle_seconds() const;

    void begin_frame();
    void render();                             // ImGui's draw data to the back buffer
    void present();                            // swaps buffers (waits for vsync where there is one)
    void screen_origin(int& x, int& y) const;  // the client area's top-left corner on screen

  private:
    GLFWwindow* window_ = nullptr;
    bool imgui_ready_ = false;
};

}  // namespace server_gui
