// The main of a fuzz target built without libFuzzer (every normal build, g++ and the sanitizers):
// runs the target's LLVMFuzzerTestOneInput once over each input, so that CTest replays every
// input the corpus and the past crashes hold (fuzz.replay.<target>).
//
//   fuzz_replay_<target> CORPUS_DIR [DIR_OR_FILE...]
//
// Every regular file under a directory is an input, in sorted order so that runs repeat. The first
// path must hold at least one input (a mistyped corpus path must not pass as an empty run); the
// others may be missing or empty (crashes/<target> exists only once a crash was found). A failed
// check aborts, as under libFuzzer; the name of the input being run is printed first. An input
// that runs longer than k_seconds_per_input (a hang: libFuzzer's -timeout) fails at once.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

// Generous: the slowest input takes well under a second, also under the sanitizers.
constexpr unsigned k_seconds_per_input = 30;

void on_alarm(int /*signal*/) {
  constexpr char k_message[] = "an input ran longer than the time allowed (a hang)\n";
  (void)!::write(STDERR_FILENO, k_message, sizeof k_message - 1);
  std::_Exit(1);
}

std::vector<fs::path> inputs_under(const fs::path& path) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    out.push_back(path);
  } else if (fs::is_directory(path, ec)) {
    for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
      if (entry.is_regular_file(ec)) out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool run_one(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", file.c_str());
    return false;
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::fprintf(stderr, "%s\n", file.c_str());
  // A copy of exactly `size` bytes, so that AddressSanitizer sees a read past the end.
  const std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());
  ::alarm(k_seconds_per_input);
  LLVMFuzzerTestOneInput(copy.data(), copy.size());
  ::alarm(0);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [DIR_OR_FILE...]\n", argv[0]);
    return 2;
  }
  std::signal(SIGALRM, on_alarm);
  std::size_t total = 0;
  for (int i = 1; i < argc; ++i) {
    const auto files = inputs_under(argv[i]);
    if (i == 1 && files.empty()) {
      std::fprintf(stderr, "no inputs in %s\n", argv[i]);
      return 1;
    }
    for (const auto& file : files) {
      if (!run_one(file)) return 1;
      ++total;
    }
  }
  std::printf("replayed %zu inputs\n", total);
  return 0;
}
