// What the operator may do to the sessions: kick one, notice all, shut down. Any thread.
#include "chat/text_rules.hpp"
#include "service_core.hpp"

namespace chat::detail {

bool ServiceCore::kick(const std::string& nick, const std::string& reason) {
    if (kick_local(fold_nick(nick), reason)) return true;
    return cluster &&
           !cluster->kick_remote(fold_nick(nick), reason, std::chrono::seconds(2)).empty();
}

bool ServiceCore::kick_local(const std::string& nick_key, const std::string& reason) {
    const SessionPtr s = nicks.find(nick_key);
    if (!s) return false;
    const Lock lock(s->mutex);
    if (!s->is_active()) return false;  // ended meanwhile
    const AnyMessage bye = Bye{reason.empty() ? "kicked by the operator" : "kicked: " + reason};
    end_session(*s, &bye);
    return true;
}

bool ServiceCore::notice(const std::string& text) {
    if (!chat_text_problem(text).empty()) return false;
    notice_local(text);
    if (cluster) cluster->notice(text);
    return true;
}

void ServiceCore::notice_local(const std::string& text) {
    Bytes frame;
    encode(frame, Notice{text});
    const auto active = sessions.select([](const Session& s) { return s.is_active(); });
    std::vector<Session*> to;
    to.reserve(active.size());
    for (const SessionPtr& s : active) to.push_back(s.get());
    send_to_all(to, frame, traffic);
}

void ServiceCore::shutdown(const std::string& reason) {
    const AnyMessage bye = Bye{reason};
    for (const SessionPtr& s : sessions.begin_shutdown()) {
        const Lock lock(s->mutex);
        if (s->state.load(std::memory_order_acquire) == SessionState::Closing) continue;
        // Everyone leaves at once: no ROOM_EVENT storm (n^2 frames in a big room), just BYE.
        end_session(*s, &bye, ExitCause::Shutdown);
    }
}

}  // namespace chat::detail
