// `sqlx::migrate!` embeds the migrations at compile time, and cargo does not know a new file
// in `migrations/` changes the crate: without this, a new migration is silently left out.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
