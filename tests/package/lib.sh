# Shared by run.sh and installed.sh: `check NAME COMMAND...` runs COMMAND and prints one line,
# counting what passed and failed in $passed and $failed.
passed=0
failed=0
check() {
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name"
  fi
}
