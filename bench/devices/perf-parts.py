"""CPU of a perf recording of cityos by part: .NET code by assembly (from the perf map's "[Assembly]" names), native code
by library (libcoreclr: GC and runtime, libe_sqlite3: SQLite, kernel: system calls and network), largest first.
usage: python3 perf-parts.py PERF_DATA [top_symbols=12]"""
import collections, re, subprocess, sys

data, top = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 12
report = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "dso,sym", "--stdio", "-g", "none", "--percent-limit", "0"],
                        capture_output=True, text=True).stdout
parts, symbols = collections.Counter(), []
line_re = re.compile(r"^\s*([\d.]+)%\s+(.+?)\s+\[(.)\]\s+(.*)$")
for line in report.splitlines():
    m = line_re.match(line)
    if not m:
        continue
    share, dso, _, symbol = float(m.group(1)), m.group(2), m.group(3), m.group(4).strip()
    if dso.startswith("perf-") or dso.startswith("[JIT]") or dso.startswith("memfd:") or dso == "[unknown]":
        # The method's assembly is the last "[Assembly]" before its "Type::Method" (earlier ones name the return type's).
        head = symbol.split("::", 1)[0]
        assemblies = re.findall(r"\[([A-Za-z][\w.]*)\]", head)
        part = assemblies[-1] if assemblies and "::" in symbol else "JIT stubs and unnamed code"
    elif dso.startswith("[kernel"):
        part = "kernel"
    else:
        part = dso
    parts[part] += share
    symbols.append((share, part, symbol))
print("  part (assembly or library)                      self CPU")
for part, share in parts.most_common(14):
    print(f"  {part[:48]:48} {share:5.1f} %")
print("  top symbols:")
for share, part, symbol in sorted(symbols, reverse=True)[:top]:
    print(f"  {share:5.1f} %  {symbol[:140]}")
