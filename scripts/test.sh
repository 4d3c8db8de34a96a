#!/usr/bin/env bash
# Prepares what the tests need and runs every test of the solution.
#  - Chromium (Debian package) for the Playwright end-to-end tests;
#  - PostgreSQL server binaries: the Core tests start their own throwaway cluster on a free port;
#  - builds once, runs each test project in turn, prints "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need_apt+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
fc-list 2>/dev/null | grep -qi dejavu || need_apt+=(fonts-dejavu-core)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing: ${need_apt[*]}. Install them (sudo apt-get install -y ${need_apt[*]}) and run again." >&2
    exit 1
  fi
  echo "Installing ${need_apt[*]}..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
results="${TEST_RESULTS_DIR:-$PWD/TestResults}"
rm -rf "$results"
mkdir -p "$results"

dotnet build Portal.Payments.sln -c Release -nologo -v q

status=0
for project in tests/*/*.csproj; do
  name=$(basename "$project" .csproj)
  grep -q '<IsTestProject>true</IsTestProject>' "$project" || continue
  echo "=== $name"
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
    --results-directory "$results" || status=1
done

# The Chromium suite once more in German: every browser context opens in de-DE and the tests name the portal's texts by
# their English wording, looked up in the German resources (Infrastructure/UiText.cs).
echo "=== Portal.Payments.EndToEnd.Tests (German)"
PORTAL_E2E_LOCALE=de-DE dotnet test tests/Portal.Payments.EndToEnd.Tests/Portal.Payments.EndToEnd.Tests.csproj -c Release --no-build -nologo \
  --filter "FullyQualifiedName~BrowserTests|FullyQualifiedName~CrashRecoveryTests" \
  --logger "trx;LogFileName=Portal.Payments.EndToEnd.Tests.de-DE.trx" --logger "console;verbosity=normal" \
  --results-directory "$results" || status=1

# One closing line from the TRX files of every project.
python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
for f in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(f).getroot().find("t:ResultSummary/t:Counters", ns)
    passed += int(c.get("passed", 0))
    failed += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
    skipped += int(c.get("notExecuted", 0))
    for r in ET.parse(f).getroot().iterfind("t:Results/t:UnitTestResult", ns):
        if r.get("outcome") not in ("Passed", "NotExecuted"):
            msg = r.find("t:Output/t:ErrorInfo/t:Message", ns)
            lines = (msg.text or "").strip().splitlines() if msg is not None and msg.text else [""]
            run = " (German)" if f.endswith(".de-DE.trx") else ""
            print(f"FAILED {r.get('testName')}{run}: {lines[0][:300]}")
            # What the failure waited for (Playwright's call log) and where in the tests it stopped: enough to act on
            # when only the end of this output is kept.
            for line in lines[1:7]:
                print(f"    {line.strip()[:200]}")
            trace = r.find("t:Output/t:ErrorInfo/t:StackTrace", ns)
            frames = [l.strip() for l in (trace.text or "").splitlines() if "/tests/" in l] if trace is not None else []
            for line in frames[:3]:
                print(f"    {line[line.find('/tests/'):][:200]}")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
