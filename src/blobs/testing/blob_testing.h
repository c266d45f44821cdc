// Test helpers for content-addressed storage: a temporary directory removed
// with its contents, and the SHA-256 a store keys bytes by, computed
// independently of the code under test. Single-thread (tests).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace airpg::blobs::testing {

class TempDir {
 public:
  TempDir();  // a fresh /tmp/airpg-test-XXXXXX
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // Regular files under path(), at any depth.
  int CountFiles() const;

 private:
  std::filesystem::path path_;
};

// Lower-case hex SHA-256 (OpenSSL).
std::string Sha256Hex(std::string_view bytes);

}  // namespace airpg::blobs::testing
