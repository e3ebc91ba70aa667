# Finds a JDK for the trellis launcher and the benchmark scripts; sourced by them, which set
# MIN_JAVA first. find_jdk prints "<dir> <major version>", or nothing when there is none.

# Prints the major version of the JDK at $1, or nothing when it is not a JDK.
jdk_version() {
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p' | head -n1
}

# JAVA_HOME first, then the java on PATH, then the usual install locations; newest wins among those.
find_jdk() {
  local candidates=() best="" best_version=0 dir version
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for dir in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [ -d "$dir" ] && candidates+=("$dir")
  done
  for dir in "${candidates[@]}"; do
    version="$(jdk_version "$dir")"
    [ -n "$version" ] || continue
    if [ "$dir" = "${JAVA_HOME:-}" ] && [ "$version" -ge "$MIN_JAVA" ]; then
      echo "$dir $version"; return 0
    fi
    if [ "$version" -ge "$MIN_JAVA" ] && [ "$version" -gt "$best_version" ]; then
      best="$dir"; best_version="$version"
    fi
  done
  [ -n "$best" ] && echo "$best $best_version"
}
