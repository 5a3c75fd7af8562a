#!/usr/bin/python3
"""The provenance every statistics JSON carries, and --replay.

    test_provenance.py VP SCRATCH_DIR CASE

CASE is one of the functions below named test_CASE. Each runs acceltran-vp on a tiny job; a
failing check names what differs.
"""
import hashlib
import json
import os
import subprocess
import sys

VP, SCRATCH = sys.argv[1], sys.argv[2]
os.makedirs(SCRATCH, exist_ok=True)


def vp(*args, rc=0, env=None):
    r = subprocess.run([VP, *args], capture_output=True, text=True, timeout=120, env=env)
    if r.returncode != rc:
        sys.exit(f"acceltran-vp {' '.join(args)}: exit {r.returncode}, expected {rc}\n{r.stdout}{r.stderr}")
    return r


def scratch(name, text=None):
    path = os.path.join(SCRATCH, name)
    if text is not None:
        with open(path, "w") as f:
            f.write(text)
    return path


def stats_of(name, *args, env=None):
    out = scratch(name)
    vp(*args, "-q", "--stats-out", out, env=env)
    with open(out) as f:
        return json.load(f)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def check(cond, what):
    if not cond:
        sys.exit("FAILED: " + what)


# Wall-clock figures, and how the run was asked for, are the only things a replay may change.
def comparable(stats):
    stats = json.loads(json.dumps(stats))
    stats.pop("sim", None)
    stats["provenance"].pop("command_line", None)
    stats["provenance"].pop("replay_of", None)
    return stats


def differences(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += differences(a.get(k, "<missing>"), b.get(k, "<missing>"), f"{path}.{k}" if path else k)
        return out
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def test_records_the_point():
    hw = scratch("small.yaml", "inherit: edge\npe: 16\nlanes_per_pe: 8\n")
    tokens = scratch("tokens.txt", "101 2023 2003 102\n101 7592 102\n")
    args = ["--hw", hw, "-p", "pe=8", "-p", "activation_buffer_size=2", "--job", "bert", "--model", "bert-nano", "--seq", "8",
            "--tokens", tokens, "--tau", "0.05", "--topk", "3", "--hdp-heads", "top:1", "--seed", "7"]
    s = stats_of("records.json", *args)
    p = s["provenance"]
    check(p["tool"] == "acceltran-vp" and p["version"] and p["git_revision"], f"version and revision: {p.get('version')} {p.get('git_revision')}")
    check(p["command_line"][1:] == args + ["-q", "--stats-out", scratch("records.json")], f"command line: {p['command_line']}")
    check(p["cpu_backend"] == "native", f"cpu backend: {p['cpu_backend']}")
    check(p["blas_kernels"] not in ("", "unknown"), f"BLAS kernels: {p['blas_kernels']!r}")
    # The kernels that ran: a user's OPENBLAS_CORETYPE (Nehalem's SSE4 kernels run on any current x86-64 host).
    forced = stats_of("nehalem.json", "--model", "bert-nano", "--seq", "8", env={**os.environ, "OPENBLAS_CORETYPE": "Nehalem"})
    check(forced["provenance"]["blas_kernels"] == "Nehalem", f"BLAS kernels under OPENBLAS_CORETYPE=Nehalem: {forced['provenance']['blas_kernels']!r}")
    check(p["hw"] == hw and p["overrides"] == ["pe=8", "activation_buffer_size=2"], f"hw and overrides: {p['hw']} {p['overrides']}")
    keys = [line.split("\t")[0] for line in vp("--config-keys").stdout.splitlines()]
    missing = [k for k in keys if k not in p["config"]]
    check(not missing, f"configuration keys missing from the provenance: {missing}")
    check(p["config"]["pe"] == 8 and p["config"]["lanes_per_pe"] == 8 and p["config"]["activation_buffer_size"] == 2,
          f"resolved configuration: pe {p['config']['pe']}, lanes {p['config']['lanes_per_pe']}")
    j = p["job"]
    want = {"kind": "bert", "model": "bert-nano", "seq": 8, "batch": 2, "tau": 0.05, "topk": 3, "seed": 7, "dynatran": True,
            "inputs": tokens}
    check(all(j.get(k) == v for k, v in want.items()), f"job parameters: {j}")
    check(j["pruning"]["hdp_heads"] == "top:1" and "HDP" in j["pruning"]["summary"], f"pruning: {j['pruning']}")
    check(p["options"]["tau"] == "0.05" and p["options"]["check"] == "auto", f"options (defaults included): {p['options']}")
    check(p["input_files"]["hw"]["sha256"] == sha256(hw), "SHA-256 of the hardware file")
    check(p["input_files"]["tokens"]["sha256"] == sha256(tokens), "SHA-256 of the tokens file")


def test_sha256_of_large_file():
    # Several 64 KiB reads, a length that is no multiple of the block: the digest as sha256sum's.
    # A long YAML comment makes the hardware file large.
    ids = " ".join(str(100 + i % 900) for i in range(70011)) + "\n"
    hw = scratch("commented.yaml", "inherit: edge\n# " + ids + "pe: 4\n")
    s = stats_of("long.json", "--hw", hw, "--job", "matmul", "--m", "8", "--k", "8", "--n", "8")
    check(os.path.getsize(hw) > 3 * 65536, "the file spans several reads")
    check(s["provenance"]["input_files"]["hw"]["sha256"] == sha256(hw),
          f"SHA-256 {s['provenance']['input_files']['hw']['sha256']}, sha256sum says {sha256(hw)}")
    empty = scratch("short.yaml", "inherit: edge\n")
    s = stats_of("short.json", "--hw", empty, "--job", "matmul", "--m", "8", "--k", "8", "--n", "8")
    check(s["provenance"]["input_files"]["hw"]["sha256"] == sha256(empty), "SHA-256 of a file shorter than a block")


def replay_case(name, *args):
    a = stats_of(name + ".A.json", *args)
    b = stats_of(name + ".B.json", "--replay", scratch(name + ".A.json"))
    check(b["provenance"]["replay_of"] == scratch(name + ".A.json"), "the replay names its source")
    diffs = differences(comparable(a), comparable(b))
    check(not diffs, f"{name}: the replay's statistics differ:\n  " + "\n  ".join(diffs[:20]))
    # Not merely equal because nothing was recorded: the point's own figures are there.
    check(a["control"]["active_cycles"] > 0 and a["provenance"]["config"], f"{name}: a run with cycles")
    return a


def test_replay_bert_pruned():
    a = replay_case("replay_bert", "--hw", "server", "-p", "pe=16", "-p", "lanes_per_pe=8", "--model", "bert-nano", "--seq", "16",
                    "--batch", "2", "--tau", "0.03", "--topk", "4", "--hdp-blocks", "ratio:0.2", "--nm", "2:4", "--seed", "3")
    # A different tau is a different point: the comparison would see it.
    c = stats_of("replay_bert.C.json", "--hw", "server", "-p", "pe=16", "-p", "lanes_per_pe=8", "--model", "bert-nano", "--seq", "16",
                 "--batch", "2", "--tau", "0.3", "--topk", "4", "--hdp-blocks", "ratio:0.2", "--nm", "2:4", "--seed", "3")
    check(differences(comparable(a), comparable(c)), "a run with another tau has other statistics")


def test_replay_matmul_riscv():
    replay_case("replay_riscv", "--cpu", "riscv", "--job", "matmul", "--m", "24", "--k", "40", "--n", "16", "--a-zeros", "0.3",
                "--dynatran", "--tau", "0.1", "--quantum", "1us")


def test_replay_refusals():
    hw = scratch("replayed.yaml", "inherit: edge\npe: 16\n")
    stats_of("refuse.json", "--hw", hw, "--job", "matmul", "--m", "16", "--k", "16", "--n", "16")
    r = vp("--replay", scratch("refuse.json"), "--tau", "0.5", rc=2)
    check("--tau cannot be given with it" in r.stderr, f"a job option beside --replay: {r.stderr}")
    scratch("replayed.yaml", "inherit: edge\npe: 32\n")
    r = vp("--replay", scratch("refuse.json"), rc=2)
    check("input file hw" in r.stderr and "changed" in r.stderr, f"a changed input file: {r.stderr}")
    r = vp("--replay", scratch("replayed.yaml"), rc=2)
    check("not JSON" in r.stderr, f"not a statistics file: {r.stderr}")
    r = vp("--replay", scratch("no_such.json"), rc=2)
    check("cannot read" in r.stderr, f"a missing file: {r.stderr}")
    scratch("no_provenance.json", '{"control": {"active_cycles": 1}}')
    r = vp("--replay", scratch("no_provenance.json"), rc=2)
    check("no 'provenance' object" in r.stderr, f"a file without provenance: {r.stderr}")
    with open(scratch("refuse.json")) as f:
        good = json.load(f)
    bad = json.loads(json.dumps(good))
    bad["provenance"]["options"]["m"] = 16
    scratch("number_option.json", json.dumps(bad))
    r = vp("--replay", scratch("number_option.json"), rc=2)
    check("option 'm' is neither text nor a flag" in r.stderr, f"an option of another type: {r.stderr}")
    bad = json.loads(json.dumps(good))
    bad["provenance"]["input_files"]["hw"] = "a string"
    scratch("malformed.json", json.dumps(bad))
    r = vp("--replay", scratch("malformed.json"), rc=2)
    check("malformed provenance" in r.stderr, f"a provenance of the wrong shape: {r.stderr}")


def provenance_fields(node, path):
    """The documented names of a provenance: config and options as wholes, input roles as NAME."""
    if path != "provenance":
        yield path
    if not isinstance(node, dict) or path in ("provenance.config", "provenance.options"):
        return
    for key, value in node.items():
        name = "NAME" if path == "provenance.input_files" else key
        yield from provenance_fields(value, f"{path}.{name}")


def test_documented():
    with open(sys.argv[4]) as f:
        doc = f.read()
    hw = scratch("doc.yaml", "inherit: edge\npe: 16\n")
    tokens = scratch("doc_tokens.txt", "101 2023 102\n")
    runs = [["--hw", hw, "--model", "bert-nano", "--seq", "8", "--tokens", tokens, "--hdp-heads", "top:1", "--nm", "2:4"],
            ["--job", "matmul", "--m", "8", "--k", "8", "--n", "8"],
            ["--job", "fault", "--fault", "dram", "--m", "8", "--k", "8", "--n", "8"]]
    missing = set()
    for i, args in enumerate(runs):
        out = scratch(f"doc{i}.json")
        vp(*args, "-q", "--stats-out", out)
        with open(out) as f:
            prov = json.load(f)["provenance"]
        missing |= {name for name in provenance_fields(prov, "provenance") if f"| `{name}` |" not in doc}
    check(not missing, "provenance fields missing from docs/statistics.md: " + ", ".join(sorted(missing)))


globals()["test_" + sys.argv[3]]()
print("ok:", sys.argv[3])
