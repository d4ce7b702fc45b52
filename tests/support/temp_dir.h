// TempDir: a fresh directory under the system temp dir, removed with everything in it at scope end.
#pragma once

#include <filesystem>
#include <string>

namespace jobrunner::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // path() / name, as a string.
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace jobrunner::testing
