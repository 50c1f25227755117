#include "app_window.hpp"

#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>
#include <spdlog/spdlog.h>

#include <atomic>

namespace server_gui {
namespace {

std::atomic<double> g_last_input{0.0};
std::atomic<bool> g_glfw_up{false};

void on_glfw_error(int code, const char* text) {
    spdlog::error("glfw error {}: {}", code, text);
}

// Installed before ImGui's callbacks, which chain to them: they only note that the user is
// active, so the loop renders at full rate while they interact and idles otherwise.
void note_input() {
    g_last_input = glfwGetTime();
}
void on_cursor(GLFWwindow*, double, double) {
    note_input();
}
void on_button(GLFWwindow*, int, int, int) {
    note_input();
}
void on_scroll(GLFWwindow*, double, double) {
    note_input();
}
void on_key(GLFWwindow*, int, int, int, int) {
    note_input();
}
void on_char(GLFWwindow*, unsigned int) {
    note_input();
}

}  // namespace

bool AppWindow::open(const std::string& title, int width, int height, std::string& error) {
    glfwSetErrorCallback(on_glfw_error);
    if (!glfwInit()) {
        error = "cannot initialise GLFW (is there a display? DISPLAY or WAYLAND_DISPLAY)";
        return false;
    }
    g_glfw_up = true;
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
    window_ = glfwCreateWindow(width, height, title.c_str(), nullptr, nullptr);
    if (!window_) {
        error = "cannot create a window with an OpenGL 3 context";
        return false;
    }
    glfwMakeContextCurrent(window_);
    glfwSwapInterval(1);  // the display's rate where there is vsync

    glfwSetCursorPosCallback(window_, on_cursor);
    glfwSetMouseButtonCallback(window_, on_button);
    glfwSetScrollCallback(window_, on_scroll);
    glfwSetKeyCallback(window_, on_key);
    glfwSetCharCallback(window_, on_char);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;  // a fixed layout: nothing to remember between runs
    ImGui::StyleColorsDark();
    ImGui_ImplGlfw_InitForOpenGL(window_, true);
    ImGui_ImplOpenGL3_Init("#version 130");
    imgui_ready_ = true;
    g_last_input = glfwGetTime();
    return true;
}

AppWindow::~AppWindow() {
    if (imgui_ready_) {
        ImGui_ImplOpenGL3_Shutdown();
        ImGui_ImplGlfw_Shutdown();
        ImGui::DestroyContext();
    }
    if (window_) glfwDestroyWindow(window_);
    if (g_glfw_up.exchange(false)) glfwTerminate();
}

bool AppWindow::should_close() const {
    return glfwWindowShouldClose(window_) != 0;
}

void AppWindow::set_title(const std::string& title) {
    glfwSetWindowTitle(window_, title.c_str());
}

void AppWindow::move_to(int x, int y) {
    glfwSetWindowPos(window_, x, y);
}

double AppWindow::now() {
    return glfwGetTime();
}

void AppWindow::wait(double timeout_s) {
    if (timeout_s <= 0)
        glfwPollEvents();
    else
        glfwWaitEventsTimeout(timeout_s);
}

void AppWindow::wake() {
    if (g_glfw_up) glfwPostEmptyEvent();
}

double AppWindow::idle_seconds() const {
    return glfwGetTime() - g_last_input.load();
}

void AppWindow::begin_frame() {
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
}

void AppWindow::render() {
    ImGui::Render();
    int w = 0, h = 0;
    glfwGetFramebufferSize(window_, &w, &h);
    glViewport(0, 0, w, h);
    glClearColor(0.09f, 0.09f, 0.11f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

void AppWindow::present() {
    glfwSwapBuffers(window_);
}

void AppWindow::screen_origin(int& x, int& y) const {
    glfwGetWindowPos(window_, &x, &y);
}

}  // namespace server_gui
