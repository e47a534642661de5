use std::io::Write;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let data = std::fs::read(&args[1]).unwrap();
    let t = std::time::Instant::now();
    let b = bestpick_core::decode::jpeg::read_blocks(&data, &Default::default()).unwrap();
    eprintln!("{}x{} blocks {}x{} in {:?}", b.width, b.height, b.luma.width, b.luma.height, t.elapsed());
    let mut f = std::fs::File::create(&args[2]).unwrap();
    for v in &b.luma.dc { f.write_all(&v.to_le_bytes()).unwrap(); }
    for a in &b.luma.feat { for v in a { f.write_all(&v.to_le_bytes()).unwrap(); } }
}
