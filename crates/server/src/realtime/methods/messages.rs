//! Messages methods.

use super::{Args, MethodCtx, Outcome};

pub async fn dispatch(_ctx: &MethodCtx<'_>, _name: &str, _args: &Args<'_>) -> Option<Outcome> {
    None
}
