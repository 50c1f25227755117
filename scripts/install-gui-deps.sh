#!/usr/bin/env bash
# Installs what server_gui needs to build (Dear ImGui, GLFW, OpenGL) and what its test needs
# to run headless (Xvfb, xdotool for real input events, ImageMagick for screenshots, Mesa's
# software OpenGL, and a CJK font so Korean renders). Debian 12 packages only.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
PACKAGES=(
  libimgui-dev libglfw3-dev libgl-dev libstb-dev
  xvfb xauth xdotool imagemagick libgl1-mesa-dri
  fonts-noto-cjk
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
