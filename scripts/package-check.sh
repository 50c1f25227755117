#!/usr/bin/env bash
# Builds the Debian package from build/ (after the linux phase built everything) and checks
# what an operator gets: the package's dependencies, the installed `chat_server --version`,
# and the systemd unit as `systemd-analyze verify` reads it (any warning fails).
#   scripts/package-check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="$root/build/package"
rm -rf "$out" && mkdir -p "$out"

# A package for /usr: the config file then goes to /etc/netchat (GNUInstallDirs). Only the
# install rules change, so nothing is compiled again.
cmake --preset default -DCMAKE_INSTALL_PREFIX=/usr >/dev/null || exit 1
cmake --build --preset default || exit 1
(cd build && cpack -G DEB -B "$out") >"$out/cpack.log" 2>&1 || { cat "$out/cpack.log"; exit 1; }
deb=$(ls "$out"/netchat_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || { echo "package-check: no .deb built"; cat "$out/cpack.log"; exit 1; }
fail=0
check() {  # check WHAT COMMAND...: runs it and says ok/FAILED
  local what=$1; shift
  if "$@"; then echo "ok      $what"; else echo "FAILED  $what"; fail=1; fi
}

depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libspdlog libsystemd0 liburing libhiredis libstdc++6 libprometheus-cpp-core libcpp-httplib; do
  check "depends on $lib" grep -q "$lib" <<<"$depends"
done
check "/etc/netchat/netchat.toml is a conffile" \
  sh -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xOf - ./conffiles | grep -qx /etc/netchat/netchat.toml"

tree="$out/root"
dpkg-deb -x "$deb" "$tree"
version=$("$tree/usr/bin/chat_server" --version)
expected="chat_server $(sed -nE 's/^project\(netchat VERSION ([0-9.]+).*/\1/p' CMakeLists.txt)"
# "chat_server 0.1.0 (TLS: OpenSSL 3.0.11)": the version, then the TLS library it runs on.
check "installed chat_server --version says '$version' (want '$expected (TLS: ...)')" \
  grep -qE "^${expected//./\\.} \(TLS: .+\)$" <<<"$version"
check "the shipped config file passes --check-config" \
  sh -c "'$tree/usr/bin/chat_server' --config '$tree/etc/netchat/netchat.toml' --check-config >/dev/null"

# The unit as installed, its binary pointed into the unpacked tree (verify wants it to exist).
unit="$tree/usr/lib/systemd/system/netchat.service"
check "the unit is installed" [ -f "$unit" ]
sed "s#/usr/bin/chat_server#$tree/usr/bin/chat_server#g" "$unit" >"$out/netchat.service"
verify=$(systemd-analyze verify "$out/netchat.service" 2>&1)
check "systemd-analyze verify accepts the unit${verify:+: $verify}" [ -z "$verify" ]
check "the unit is Type=notify with DynamicUser and LimitNOFILE" \
  sh -c "grep -qx Type=notify '$unit' && grep -qx DynamicUser=yes '$unit' && grep -q ^LimitNOFILE= '$unit'"
check "the unit gives the admin socket its directory (RuntimeDirectory=netchat)" \
  grep -qx RuntimeDirectory=netchat "$unit"
cli_out=$("$tree/usr/bin/chat_server" --cli --admin-socket "$out/none.sock" stats 2>&1)
check "the installed chat_server --cli says when no server answers (exit 3)" \
  sh -c "'$tree/usr/bin/chat_server' --cli --admin-socket '$out/none.sock' stats 2>/dev/null; [ \$? -eq 3 ]"
echo "  ($cli_out)"

echo "package-check: $(basename "$deb") $( [ $fail -eq 0 ] && echo passed || echo FAILED)"
exit $fail
