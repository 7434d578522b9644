//! A deployed stack: the hooks in `localstack/ready.d`, the very scripts the
//! compose trial runs inside LocalStack, run here in order against the
//! shared LocalStack on 127.0.0.1.
//!
//! Profile inputs reach the seal tool through FIFOs, written from memory by
//! a thread each, so no plaintext file exists at any point, not even as the
//! deploy's input.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;

use super::artifacts::artifacts;
use super::localstack::{LocalStack, localstack};
use super::process::run_bounded;
use super::profiles::Profile;
use super::tools::{repo, scratch};

/// Credentials STS issued for a role session, and who they name.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token.
    pub session_token: String,
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    pub arn: String,
    /// `ROLEID:SESSION`, API Gateway's `identity.caller`.
    pub caller: String,
}

/// One deployment of the hooks under a resource prefix.
pub struct Stack {
    /// The resource prefix (`RATCHET_NAME`), also the function's name.
    pub name: String,
    dir: PathBuf,
    localstack: &'static LocalStack,
}

impl Stack {
    /// Deploys `profiles`, readable as `readers` says, under `name`.
    pub fn deploy(name: &str, readers: &Value, profiles: &[&Profile]) -> Stack {
        let dir = scratch(&format!("stack-{name}-"));
        std::fs::create_dir_all(dir.join("stack/profiles")).expect("create the stack folder");
        std::fs::create_dir_all(dir.join("outputs")).expect("create the outputs folder");
        std::fs::write(
            dir.join("stack/readers.json"),
            serde_json::to_vec_pretty(readers).expect("readers.json"),
        )
        .expect("write readers.json");
        let stack = Stack {
            name: name.to_owned(),
            dir,
            localstack: localstack(),
        };
        for hook in hooks() {
            stack.run_hook(&hook, profiles);
        }
        stack
    }

    /// Runs one hook (a path under `localstack/ready.d`), serving
    /// `profiles` as its inputs.
    pub fn run_hook(&self, hook: &Path, profiles: &[&Profile]) {
        let inputs = serve_inputs(&self.dir.join("stack/profiles"), profiles);
        let mut command = Command::new(hook);
        self.localstack.configure(&mut command);
        command
            .env("RATCHET_NAME", &self.name)
            .env("RATCHET_STACK_DIR", self.dir.join("stack"))
            .env("RATCHET_OUTPUT_DIR", self.dir.join("outputs"))
            .env("RATCHET_ARTIFACTS", &artifacts().dir)
            .env("TMPDIR", &self.dir);
        let (status, stdout, stderr) = run_bounded(command, Duration::from_secs(600));
        inputs.finish();

        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("deploy.log"))
            .expect("open the deploy log");
        log.write_all(&stdout)
            .and_then(|_| log.write_all(&stderr))
            .expect("write the deploy log");
        assert!(
            status.success(),
            "{} failed ({status}):\n{}{}",
            hook.display(),
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        );
    }

    /// Runs `40-function.sh` again with `profiles`: a rotation.
    pub fn reseal(&self, profiles: &[&Profile]) {
        self.run_hook(&hook("40-function.sh"), profiles);
    }

    /// Runs every hook again, with `profiles`.
    pub fn redeploy(&self, profiles: &[&Profile]) {
        for hook in hooks() {
            self.run_hook(&hook, profiles);
        }
    }

    /// An output file of a hook (`kms`, `iam`, `api`, `function`).
    pub fn outputs(&self, step: &str) -> Value {
        let path = self.dir.join("outputs").join(format!("{step}.json"));
        let text =
            std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        serde_json::from_slice(&text).expect("outputs are JSON")
    }

    /// The file holding the value of a consumer's API key.
    pub fn api_key_file(&self, consumer: &str) -> PathBuf {
        self.dir.join("outputs").join(format!("api-key-{consumer}"))
    }

    /// The version the function reports for `profile`, as deployed last.
    pub fn version(&self, profile: &str) -> String {
        self.outputs("function")["versions"][profile]
            .as_str()
            .expect("a version per profile")
            .to_owned()
    }

    /// The id of an API flavour (`key` or `iam`).
    pub fn api_id(&self, flavour: &str) -> String {
        self.outputs("api")["apis"][flavour]["id"]
            .as_str()
            .expect("an API id per flavour")
            .to_owned()
    }

    /// The function's environment as LocalStack holds it now.
    pub fn function_environment(&self) -> BTreeMap<String, String> {
        self.localstack.function_environment(&self.name)
    }

    /// Credentials for a session of the reader role `role`, from LocalStack's STS.
    pub fn assume_role(&self, role: &str) -> Credentials {
        let arn = self.outputs("iam")["roles"][role]
            .as_str()
            .unwrap_or_else(|| panic!("no role {role} in the deploy outputs"))
            .to_owned();
        let assumed = self.localstack.aws(&[
            "sts",
            "assume-role",
            "--role-arn",
            &arn,
            "--role-session-name",
            "e2e",
        ]);
        let field = |path: &[&str]| -> String {
            let mut value = &assumed;
            for key in path {
                value = &value[key];
            }
            value.as_str().expect("STS answers strings").to_owned()
        };
        Credentials {
            access_key_id: field(&["Credentials", "AccessKeyId"]),
            secret_access_key: field(&["Credentials", "SecretAccessKey"]),
            session_token: field(&["Credentials", "SessionToken"]),
            arn: field(&["AssumedRoleUser", "Arn"]),
            caller: field(&["AssumedRoleUser", "AssumedRoleId"]),
        }
    }

    /// The LocalStack this stack lives in.
    pub fn localstack(&self) -> &'static LocalStack {
        self.localstack
    }

    /// What the hooks printed.
    pub fn deploy_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("deploy.log")).unwrap_or_default()
    }
}

/// The hooks, in the order LocalStack runs them (by name).
pub fn hooks() -> Vec<PathBuf> {
    let mut hooks: Vec<PathBuf> = std::fs::read_dir(repo().join("localstack/ready.d"))
        .expect("localstack/ready.d exists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "sh"))
        .collect();
    hooks.sort();
    hooks
}

/// One hook by file name.
pub fn hook(name: &str) -> PathBuf {
    repo().join("localstack/ready.d").join(name)
}

/// The stack most tests share: profiles `app`, `raw` and `other`.
pub fn shared() -> &'static Stack {
    static SHARED: OnceLock<Stack> = OnceLock::new();
    SHARED.get_or_init(|| {
        let profiles = [
            &super::profiles::app(),
            &super::profiles::raw(),
            &super::profiles::other(),
        ];
        Stack::deploy("ratchet", &super::profiles::readers(&profiles), &profiles)
    })
}

/// Profile inputs served through FIFOs while a hook runs.
struct Inputs {
    fifos: Vec<PathBuf>,
    writers: Vec<JoinHandle<()>>,
}

/// Makes `<dir>/<profile>.env` a FIFO for each profile and writes the
/// profile into it, once, when the hook opens it.
fn serve_inputs(dir: &Path, profiles: &[&Profile]) -> Inputs {
    for entry in std::fs::read_dir(dir).expect("the profiles folder") {
        std::fs::remove_file(entry.expect("an entry").path()).expect("remove an old input");
    }
    let mut inputs = Inputs {
        fifos: Vec::new(),
        writers: Vec::new(),
    };
    for profile in profiles {
        let fifo = dir.join(format!("{}.env", profile.name));
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600))
            .expect("make an input FIFO");
        let content = profile.seal_input();
        let path = fifo.clone();
        inputs.writers.push(std::thread::spawn(move || {
            // Blocks until the seal tool opens the FIFO; a reader that went
            // away is not this thread's problem.
            if let Ok(mut pipe) = std::fs::OpenOptions::new().write(true).open(&path) {
                let _ = pipe.write_all(content.as_bytes());
            }
        }));
        inputs.fifos.push(fifo);
    }
    inputs
}

impl Inputs {
    /// Releases writers whose FIFO was never opened (a hook that failed or
    /// read nothing), and waits for them all.
    fn finish(self) {
        for (fifo, writer) in self.fifos.iter().zip(self.writers) {
            let _release = (!writer.is_finished()).then(|| {
                std::fs::OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_NONBLOCK)
                    .open(fifo)
            });
            writer.join().expect("an input writer");
        }
    }
}
