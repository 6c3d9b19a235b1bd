// ctg::core — reading and writing local files with errors worded for the user.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

#include <sys/types.h>

#include "ctg/core/error.hpp"

namespace ctg::file {

// The whole file at `path`. Errors (kind io): "cannot read x.json: no such file or directory".
Result<std::string> read(const std::string& path);

// Everything from `stream` until end of file (stdin, a pipe); linear in its size.
Result<std::string> read_all(std::FILE* stream, std::string_view name = "standard input");

// Calls `sink` with successive chunks of at most 256 KiB until end of file, for bodies too large
// to want in memory twice. Errors (kind io) name the source.
Result<std::size_t> for_each_chunk(const std::string& path, const std::function<void(std::string_view)>& sink);
Result<std::size_t> for_each_chunk(std::FILE* stream, std::string_view name,
                                   const std::function<void(std::string_view)>& sink);

// Writes `content` to `path` atomically with exactly the given `mode` (whatever the umask); mode
// 0600 for files that hold secrets. Safe in a folder others can write to: the content goes to a
// new temporary in the same folder, `<path>.tmp-<12 random letters and digits>`, created with
// O_CREAT|O_EXCL|O_NOFOLLOW (a name that exists, a planted symbolic link included, is never
// opened: another name is drawn), then fchmod, write, fsync, and rename() over `path`, which
// replaces a symbolic link at `path` itself rather than writing where it points; the folder is
// then synced. Concurrent writers to one path each rename a complete file: the last one wins.
// Missing parent folders are created with mode 0700; existing ones are left as they are.
// Errors (io): "cannot write <path>: permission denied", "cannot create <folder>: ..."; on any
// failure the temporary is removed, and `path` is as it was unless only the folder's sync failed.
Result<void> write_private(const std::string& path, std::string_view content, mode_t mode = 0600);

// A file in an XDG base folder: `<xdg_value>/<relative>` when the variable's value is absolute (the
// XDG spec says relative values are invalid and must be ignored), else `<home>/<home_default>/
// <relative>`, else `no_home`. Trailing slashes of the folders are dropped.
//   xdg_file(getenv("XDG_STATE_HOME"), getenv("HOME"), ".local/state", "ctg/events.db", "ctg-events.db")
std::string xdg_file(const char* xdg_value, const char* home, std::string_view home_default, std::string_view relative,
                     std::string_view no_home);

}  // namespace ctg::file
