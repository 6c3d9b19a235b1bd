#include "ctg/core/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "ctg/core/clock.hpp"

namespace ctg::file {

namespace {
constexpr std::size_t k_chunk = 256 * 1024;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

std::string reason(int err) {
  std::string text = std::strerror(err);
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}
}  // namespace

Result<std::size_t> for_each_chunk(std::FILE* stream, std::string_view name,
                                   const std::function<void(std::string_view)>& sink) {
  std::array<char, k_chunk> buffer{};
  std::size_t total = 0;
  while (true) {
    const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), stream);
    if (n > 0) {
      sink(std::string_view(buffer.data(), n));
      total += n;
    }
    if (n < buffer.size()) {
      if (std::ferror(stream)) return fail(ErrorKind::io, fmt::format("cannot read {}: {}", name, reason(errno)));
      return total;
    }
  }
}

Result<std::size_t> for_each_chunk(const std::string& path, const std::function<void(std::string_view)>& sink) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return fail(ErrorKind::io, fmt::format("cannot read {}: it is a directory", path));
  }
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) return fail(ErrorKind::io, fmt::format("cannot read {}: {}", path, reason(errno)));
  return for_each_chunk(f.get(), path, sink);
}

Result<std::string> read_all(std::FILE* stream, std::string_view name) {
  std::string out;
  auto done = for_each_chunk(stream, name, [&](std::string_view chunk) { out.append(chunk); });
  if (!done) return std::unexpected(done.error());
  return out;
}

Result<std::string> read(const std::string& path) {
  std::string out;
  auto done = for_each_chunk(path, [&](std::string_view chunk) { out.append(chunk); });
  if (!done) return std::unexpected(done.error());
  return out;
}

namespace {

// Creates the folders of `folder` that do not exist, top down, each with mode 0700 (whatever the
// umask); folders that exist are left as they are, including one another process creates meanwhile.
Result<void> create_private_folders(const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> missing;
  for (auto p = folder; !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) == 0) break;
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0700) != 0) {
      if (errno == EEXIST) continue;
      return fail(ErrorKind::io, fmt::format("cannot create {}: {}", it->string(), reason(errno)));
    }
    ::chmod(it->c_str(), 0700);  // a umask such as 0277 must not narrow it either
  }
  return {};
}

// Writes all of `content` to `fd`; errno on failure.
int write_all(int fd, std::string_view content) {
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    written += static_cast<std::size_t>(n);
  }
  return 0;
}

// Flushes a folder's entries (a rename in it) to disk; errno when the sync itself fails. A folder
// that cannot be opened for reading (mode -wx) or synced (EINVAL: the filesystem cannot) is left
// to the system: the rename is done either way.
int sync_folder(const std::string& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return 0;
  int err = 0;
  if (::fsync(fd) != 0 && errno != EINVAL) err = errno;
  ::close(fd);
  return err;
}

constexpr std::size_t k_temp_suffix = 12;  // 62^12 names: a guess at one never pays
constexpr int k_temp_tries = 100;          // EEXIST retries before giving up

}  // namespace

Result<void> write_private(const std::string& path, std::string_view content, mode_t mode) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const std::string folder = target.has_parent_path() ? target.parent_path().string() : std::string(".");
  if (target.has_parent_path()) {
    if (auto created = create_private_folders(target.parent_path()); !created) return created;
  }
  const auto failed = [&](int err) {
    return fail(ErrorKind::io, fmt::format("cannot write {}: {}", path, reason(err)));
  };

  // The temporary: a fresh name in the target's folder, created by this call or not at all
  // (O_EXCL), never through a symbolic link (O_NOFOLLOW), private until fchmod.
  std::string temp;
  int fd = -1;
  for (int attempt = 0; attempt < k_temp_tries && fd < 0; ++attempt) {
    temp = path + ".tmp-" + random_alnum(k_temp_suffix);
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) return failed(errno);
  }
  if (fd < 0) return failed(EEXIST);
  const auto abandon = [&](int err) {
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    return failed(err);
  };
  if (::fchmod(fd, mode) != 0) return abandon(errno);  // exactly `mode`, whatever the umask
  if (const int err = write_all(fd, content); err != 0) return abandon(err);
  if (::fsync(fd) != 0) return abandon(errno);
  const int closed = ::close(fd);
  fd = -1;
  if (closed != 0) return abandon(errno);
  // rename() replaces whatever is at `path`, a symbolic link included, without following it.
  if (::rename(temp.c_str(), path.c_str()) != 0) return abandon(errno);
  if (const int err = sync_folder(folder); err != 0) return failed(err);
  return {};
}

std::string xdg_file(const char* xdg_value, const char* home, std::string_view home_default, std::string_view relative,
                     std::string_view no_home) {
  auto without_trailing_slash = [](std::string folder) {
    while (folder.size() > 1 && folder.back() == '/') folder.pop_back();
    return folder;
  };
  if (xdg_value != nullptr && xdg_value[0] == '/') return without_trailing_slash(xdg_value) + "/" + std::string(relative);
  if (home != nullptr && home[0] != '\0') {
    return without_trailing_slash(home) + "/" + std::string(home_default) + "/" + std::string(relative);
  }
  return std::string(no_home);
}

}  // namespace ctg::file
