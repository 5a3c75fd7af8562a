#!/usr/bin/python3
"""gdb-multiarch debugs the riscv firmware through --gdb, in batch mode: it breaks at a driver
function, steps, reads CPU registers and the accelerator's ID register, and continues to the end.
The debugged run must give the same firmware output and statistics (sim.* aside) as a run without
gdb: stopping in the debugger must not change simulated time or anything else.

Then, speaking the protocol itself to a firmware that spins forever: continue, Ctrl-C (0x03)
stops it, and kill ends the run with exit code 1. Last, a firmware that faults: gdb sees the
fault's message and stops with SIGSEGV at the faulting instruction (the backtrace names the
callers); continuing ends the program.

usage: gdb_session.py VP FIRMWARE_ELF REGS_HEADER GDB WORKDIR SPIN_ELF FAULT_ELF"""
import json
import os
import re
import socket
import subprocess
import sys
import time

TIMEOUT = 60
JOB = ["--cpu", "riscv", "--job", "matmul", "--m", "16", "--k", "16", "--n", "16"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


class Remote:
    """A minimal gdb remote-protocol client (acknowledged mode)."""

    def __init__(self, port):
        deadline = time.time() + TIMEOUT
        while True:
            try:
                self.s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
                return
            except ConnectionRefusedError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)

    def send(self, payload):
        self.s.sendall(f"${payload}#{sum(payload.encode()) % 256:02x}".encode())

    def reply(self):
        buf = b""
        while True:
            buf += self.s.recv(4096)
            m = re.search(rb"\$([^#]*)#[0-9a-f]{2}", buf)
            if m:
                self.s.sendall(b"+")
                return m.group(1).decode()

    def ask(self, payload):
        self.send(payload)
        return self.reply()


def interrupt_and_kill(vp, spin_elf, env):
    port = free_port()
    proc = subprocess.Popen([vp, "--cpu", "riscv", "-q", "--firmware", spin_elf, "--watchdog", "1000000000000", "--gdb",
                             str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        r = Remote(port)
        if not r.ask("?").startswith("S05"):
            fail("the stop reply at attach is not SIGTRAP")
        r.send("c")
        time.sleep(0.3)  # the firmware spins
        r.s.sendall(b"\x03")
        stop = r.reply()
        if not stop.startswith("S02"):
            fail(f"Ctrl-C did not stop the target with SIGINT: {stop}")
        pc = r.ask("p20")
        if not re.fullmatch(r"[0-9a-f]{8}", pc):
            fail(f"no pc after the interrupt: {pc}")
        r.send("k")
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 1 or "firmware fault: killed by gdb" not in err:
        fail(f"kill did not end the run with exit code 1 ({proc.returncode}): {err}")
    print("OK: Ctrl-C stopped the spinning firmware, kill ended the run")


def fault_reported(vp, gdb, fault_elf, env):
    port = free_port()
    proc = subprocess.Popen([vp, "--cpu", "riscv", "-q", "--firmware", fault_elf, "--gdb", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    g = None
    try:
        g = subprocess.Popen([gdb, "-nx", "-batch", "-ex", "set tcp connect-timeout 30", "-ex",
                              f"target remote 127.0.0.1:{port}", "-ex", "continue", "-ex", "bt", "-ex", "continue",
                              fault_elf],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        gdb_out, _ = g.communicate(timeout=TIMEOUT)
        proc.communicate(timeout=TIMEOUT)
    finally:
        for p in (g, proc):
            if p and p.poll() is None:
                p.kill()
                p.wait()
    if "firmware fault: error response to a 32-bit write" not in gdb_out or "Program received signal SIGSEGV" not in gdb_out:
        fail(f"gdb was not told of the fault:\n{gdb_out}")
    if not re.search(r"#0 .* in hal_write32 .*\n#1 .* in configure ", gdb_out):
        fail(f"the stop at the fault does not show the faulting call chain:\n{gdb_out}")
    if "Program terminated with signal SIGSEGV" not in gdb_out:
        fail(f"continuing after the fault did not end the program:\n{gdb_out}")
    if proc.returncode != 1:
        fail(f"the faulting run ended with exit code {proc.returncode}, not 1")
    print("OK: gdb stopped at the firmware fault, then saw the program end")


def main():
    vp, elf, header, gdb, work, spin_elf, fault_elf = sys.argv[1:8]
    os.makedirs(work, exist_ok=True)
    device_id = int(re.search(r"#define ACC_DEVICE_ID (0x[0-9a-fA-F]+)u", open(header).read()).group(1), 16)
    env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")

    plain = subprocess.run([vp, *JOB, "--stats-out", f"{work}/plain.json"], capture_output=True, text=True,
                           timeout=TIMEOUT, env=env)
    if plain.returncode != 0:
        fail(f"the run without gdb failed ({plain.returncode}):\n{plain.stdout}{plain.stderr}")

    port = free_port()
    script = f"""set pagination off
set confirm off
set tcp connect-timeout 30
target remote 127.0.0.1:{port}
printf "START %#x %#x\\n", $pc, &_start
break acc_sync
continue
printf "AT %#x %#x\\n", $pc, &acc_sync
stepi
printf "STEPPED %#x\\n", $pc
printf "SP %#x\\n", $sp
printf "MTVEC %#x %#x\\n", $mtvec, &hal_trap_entry
x/wx 0x10000000
delete
continue
"""
    with open(f"{work}/session.gdb", "w") as f:
        f.write(script)
    vp_proc = subprocess.Popen([vp, *JOB, "--gdb", str(port), "--stats-out", f"{work}/gdb.json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    gdb_proc = None
    try:
        gdb_proc = subprocess.Popen([gdb, "-nx", "-batch", "-x", f"{work}/session.gdb", elf],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        gdb_out, _ = gdb_proc.communicate(timeout=TIMEOUT)
        vp_out, vp_err = vp_proc.communicate(timeout=TIMEOUT)
    finally:
        for p in (gdb_proc, vp_proc):
            if p and p.poll() is None:
                p.kill()
                p.wait()
    print(gdb_out)

    m = re.search(r"START (0x[0-9a-f]+) (0x[0-9a-f]+)", gdb_out)
    if not m or m.group(1) != m.group(2):
        fail("the target did not stop at _start before the first instruction")
    m = re.search(r"AT (0x[0-9a-f]+) (0x[0-9a-f]+)", gdb_out)
    if not re.search(r"Breakpoint 1(\.\d+)?, acc_sync", gdb_out) or not m or m.group(1) != m.group(2):
        fail("the breakpoint at acc_sync was not hit")
    stepped = re.search(r"STEPPED (0x[0-9a-f]+)", gdb_out)
    if not stepped or int(stepped.group(1), 16) != int(m.group(1), 16) + 4:
        fail("stepi did not advance by one instruction")
    sp = re.search(r"SP (0x[0-9a-f]+)", gdb_out)
    if not sp or not 0x1000 <= int(sp.group(1), 16) <= 0x41000:
        fail("sp is not in the stack")
    mtvec = re.search(r"MTVEC (0x[0-9a-f]+) (0x[0-9a-f]+)", gdb_out)
    if not mtvec or mtvec.group(1) != mtvec.group(2):
        fail("the CSR mtvec does not point at hal_trap_entry")
    idreg = re.search(r"0x10000000:\s+(0x[0-9a-f]+)", gdb_out)
    if not idreg or int(idreg.group(1), 16) != device_id:
        fail(f"the accelerator's ID register did not read {device_id:#x} through debug transport")
    if "exited normally" not in gdb_out:
        fail("gdb did not see the firmware exit normally")
    if vp_proc.returncode != 0:
        fail(f"the debugged run failed ({vp_proc.returncode}):\n{vp_out}{vp_err}")

    def console(text):
        return [l for l in text.splitlines() if l.startswith("[fw]")]

    if console(plain.stdout) != console(vp_out):
        fail("the firmware printed different text under gdb")
    a = json.load(open(f"{work}/plain.json"))
    b = json.load(open(f"{work}/gdb.json"))
    a.pop("sim", None)
    b.pop("sim", None)
    # The provenance records the command line, --gdb included: everything else in it must agree.
    for stats in (a, b):
        stats.get("provenance", {}).pop("command_line", None)
        stats.get("provenance", {}).get("options", {}).pop("gdb", None)
    if a != b:
        diffs = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
        fail(f"the statistics differ under gdb: {diffs}")
    print("OK: same results and statistics with and without gdb")
    interrupt_and_kill(vp, spin_elf, env)
    fault_reported(vp, gdb, fault_elf, env)


if __name__ == "__main__":
    main()
