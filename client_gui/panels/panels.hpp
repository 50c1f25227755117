// The parts of the client window. Each draws from the view and only queues commands; none
// of them touches the network.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "chat/client_session.hpp"
#include "client_model.hpp"
#include "ui_state.hpp"

namespace client_gui {

// Host, port, nick, password, Connect; why the last attempt failed, in words.
void draw_connect_panel(const ClientView& view, UiState& ui, std::vector<Command>& commands);

// Rooms on the server with member counts (LIST_ROOMS), join and leave, a new room's name.
void draw_rooms_sidebar(const ClientView& view, UiState& ui, std::vector<Command>& commands);

// A joined room: its messages, members (a click whispers), board and input box.
void draw_room_tab(const ClientView& view, const chat::RoomView& room, UiState& ui,
                   std::vector<Command>& commands);

// One whisper conversation and its input box.
void draw_whisper_tab(const ClientView& view, const std::string& partner, UiState& ui,
                      std::vector<Command>& commands);

// Connected or reconnecting, server, engine, round-trip time, frames in and out.
void draw_status_bar(const ClientView& view, UiState& ui, std::vector<Command>& commands,
                     const std::string& font_name);

// The operator's newest notice, in a bar that stands out until dismissed.
void draw_notice_banner(const ClientView& view, UiState& ui);

// ---- pieces the tabs share ----

// A room's lines: time, sender, text; events, gaps and notices each in their own colour.
void draw_chat_lines(const std::string& room, const std::deque<chat::ChatLine>& lines,
                     const std::string& own_nick);

// The input box of tab `tab` with the byte count against the limit; Enter hands the line
// to submit_line.
void draw_chat_box(const std::string& tab, const std::string& room, const std::string& whisper_to,
                   UiState& ui, std::vector<Command>& commands, float reserve_right = 0);

// Carries out one typed line: says, whispers, joins or leaves. False (with ui's box problem
// set) when nothing was sent.
bool submit_line(const std::string& line, const std::string& room, const std::string& whisper_to,
                 UiState& ui, std::vector<Command>& commands, ChatBox& box);

// Opens (and selects) the whisper tab for `nick`.
void open_whisper(UiState& ui, const std::string& nick);

}  // namespace client_gui
