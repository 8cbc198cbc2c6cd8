//! Terminal output. `outln!` writes a line to stdout and ends the process quietly when the reader
//! has gone (`takeup status | head -1`: a closed pipe is not an error worth a panic or a message);
//! `errln!` writes to stderr and never fails the command. [`safe`] is for every text that came
//! from outside: file names, paths, server text (a file name may carry terminal escape
//! sequences, and `watch` prints whatever names appear in the folder).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;

/// Write to stdout (a line when `newline`); a closed pipe ends the process with status 0.
pub fn write_out(args: std::fmt::Arguments<'_>, newline: bool) {
    let mut out = std::io::stdout().lock();
    let r = out
        .write_fmt(args)
        .and_then(|()| {
            if newline {
                out.write_all(b"\n")
            } else {
                Ok(())
            }
        })
        .and_then(|()| out.flush());
    if let Err(e) = r {
        drop(out);
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        write_err(format_args!("error: cannot write the output: {e}"));
        std::process::exit(1);
    }
}

/// Write a line to stderr; errors (a closed stderr) are ignored.
pub fn write_err(args: std::fmt::Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.write_all(b"\n"));
}

/// A line on stdout (see [`write_out`]).
macro_rules! outln {
    () => { $crate::out::write_out(format_args!(""), true) };
    ($($t:tt)*) => { $crate::out::write_out(format_args!($($t)*), true) };
}

/// Text on stdout without a newline.
#[allow(unused_macros)]
macro_rules! out {
    ($($t:tt)*) => { $crate::out::write_out(format_args!($($t)*), false) };
}

/// A line on stderr (see [`write_err`]).
macro_rules! errln {
    ($($t:tt)*) => { $crate::out::write_err(format_args!($($t)*)) };
}

/// Characters that must not reach a terminal raw: C0/C1 controls and DEL (escape sequences,
/// carriage returns that overwrite a line), and the Unicode bidirectional and line-separator
/// controls (text that displays differently from what it is).
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// `text` with control characters escaped (`\n`, `\t`, `\r`, else `\u{1b}`), safe to print.
pub fn safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A path, escaped as [`safe`] does.
pub fn path(p: &std::path::Path) -> String {
    safe(&p.display().to_string()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi_but_keeps_other_text() {
        assert!(matches!(safe("A001_C001 été 東京.mov"), Cow::Borrowed(_)));
        assert_eq!(safe("a\u{1b}[31mred\u{7}"), "a\\u{1b}[31mred\\u{7}");
        assert_eq!(safe("two\nlines\r\tx"), "two\\nlines\\r\\tx");
        assert_eq!(safe("\u{9b}2J"), "\\u{9b}2J");
        assert_eq!(safe("abc\u{202E}vom.exe"), "abc\\u{202e}vom.exe");
        assert_eq!(safe("\u{7f}"), "\\u{7f}");
    }
}
