//! PID 1 duty: run the real daemon as a child, forward termination signals to it, and reap every
//! process that ends (orphans are re-parented to PID 1). Exits with the daemon's status.
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;

pub fn run_as_init() -> i32 {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("anycode-agent: cannot find myself: {e}");
            return 1;
        }
    };
    let child = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env("ANYCODE_AGENT_CHILD", "1")
        .spawn();
    let child = match child {
        Ok(c) => c,
        Err(e) => {
            eprintln!("anycode-agent: cannot start the daemon: {e}");
            return 1;
        }
    };
    let daemon = Pid::from_raw(child.id() as i32);
    forward_signals(daemon);
    loop {
        match waitpid(None, None) {
            Ok(WaitStatus::Exited(pid, code)) if pid == daemon => return code,
            Ok(WaitStatus::Signaled(pid, sig, _)) if pid == daemon => return 128 + sig as i32,
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => {}
            Err(nix::errno::Errno::ECHILD) => return 0,
            Err(e) => {
                eprintln!("anycode-agent: waitpid: {e}");
                return 1;
            }
        }
    }
}

/// PID 1 ignores signals it has no handler for, so `docker stop` would wait for its timeout;
/// forward TERM/INT/HUP to the daemon from a small thread.
fn forward_signals(daemon: Pid) {
    use nix::sys::signal::{SigSet, SigmaskHow};
    let mut set = SigSet::empty();
    for s in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP] {
        set.add(s);
    }
    // Block them in this (main) thread and every thread spawned after; one thread waits on them.
    if nix::sys::signal::pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&set), None).is_err() {
        return;
    }
    std::thread::spawn(move || loop {
        if let Ok(sig) = set.wait() {
            let _ = kill(daemon, sig);
        }
    });
}
