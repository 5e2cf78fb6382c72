//! The media runner (issue #6). Not built yet: it refuses to start rather than pretend to work.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!(
        "media-runner: not implemented yet (issue #6); it will consume the `file_processing` \
         queue as service `{}`",
        jobs::SERVICE_NAME
    );
    ExitCode::from(2)
}
