#include "ctg/core/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

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

Result<void> write_private(const std::string& path, std::string_view content, mode_t mode) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path() && !fs::exists(target.parent_path(), ec)) {
    fs::create_directories(target.parent_path(), ec);
    if (ec) return fail(ErrorKind::io, fmt::format("cannot create {}: {}", target.parent_path().string(), ec.message()));
    ::chmod(target.parent_path().c_str(), 0700);
  }
  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return fail(ErrorKind::io, fmt::format("cannot write {}: {}", path, reason(errno)));
  ::fchmod(fd, mode);  // umask must not widen or narrow what was asked
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return fail(ErrorKind::io, fmt::format("cannot write {}: {}", path, reason(err)));
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return fail(ErrorKind::io, fmt::format("cannot write {}: {}", path, reason(err)));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return fail(ErrorKind::io, fmt::format("cannot write {}: {}", path, reason(err)));
  }
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
