#!/usr/bin/env bash
# Runs a cross-built .exe under Wine (the CMAKE_CROSSCOMPILING_EMULATOR of the MinGW build).
# The Wine prefix lives in the build dir (build-win/wineprefix) unless WINEPREFIX is set; it is
# made on first use, headless: the "null" graphics driver serves the message-only windows of
# WSAAsyncSelect without an X server.
set -euo pipefail
exe="$1"
if [ -z "${WINEPREFIX:-}" ]; then
  WINEPREFIX="$(cd "$(dirname "$exe")/.." && pwd)/wineprefix"
fi
export WINEPREFIX
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=}"  # no Mono/Gecko prompts
if [ ! -f "$WINEPREFIX/.netchat-ready" ]; then
  mkdir -p "$WINEPREFIX"
  (
    flock 9
    if [ ! -f "$WINEPREFIX/.netchat-ready" ]; then
      wineboot -i >/dev/null 2>&1 </dev/null
      wine reg add 'HKCU\Software\Wine\Drivers' /v Graphics /d null /f >/dev/null 2>&1 </dev/null
      wineserver -w
      touch "$WINEPREFIX/.netchat-ready"
    fi
  ) 9>"$WINEPREFIX.lock"
fi
exec wine "$@"
