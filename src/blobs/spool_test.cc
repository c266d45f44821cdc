// Spool: small content stays in memory, large content moves to an unnamed
// file that is gone with the spool (or the process) unless it was renamed
// into place.
#include "blobs/spool.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "blobs/testing/blob_testing.h"

namespace airpg::blobs {
namespace {

namespace fs = std::filesystem;

class SpoolTest : public ::testing::Test {
 protected:
  size_t FilesIn(const fs::path& dir) {
    return static_cast<size_t>(std::distance(fs::directory_iterator(dir), {}));
  }
  std::string ReadBack(const Spool& spool, size_t chunk) {
    std::string out;
    EXPECT_TRUE(spool
                    .ReadChunks(chunk,
                                [&](std::string_view piece) {
                                  EXPECT_LE(piece.size(), chunk);
                                  out.append(piece);
                                  return Status::Ok();
                                })
                    .ok());
    return out;
  }

  testing::TempDir temp_;
  const fs::path& dir_ = temp_.path();
};

TEST_F(SpoolTest, SmallContentStaysInMemory) {
  Spool spool(dir_.string(), 10);
  ASSERT_TRUE(spool.Append("hello").ok());
  ASSERT_TRUE(spool.Append("world").ok());
  EXPECT_TRUE(spool.in_memory());
  EXPECT_EQ(spool.memory(), "helloworld");
  EXPECT_EQ(spool.size(), 10);
  EXPECT_EQ(ReadBack(spool, 3), "helloworld");
  EXPECT_EQ(FilesIn(dir_), 0u);
}

// The file is unnamed (O_TMPFILE): it never shows in the directory.
TEST_F(SpoolTest, LargeContentMovesToAnUnnamedFileThatGoesWithTheSpool) {
  std::string bytes;
  for (int i = 0; i < 5000; ++i) bytes += static_cast<char>(i % 256);
  {
    Spool spool(dir_.string(), 1000);
    for (size_t at = 0; at < bytes.size(); at += 700) {
      ASSERT_TRUE(spool.Append(std::string_view(bytes).substr(at, 700)).ok());
    }
    EXPECT_FALSE(spool.in_memory());
    EXPECT_EQ(spool.size(), 5000);
    EXPECT_EQ(FilesIn(dir_), 0u);
    EXPECT_EQ(ReadBack(spool, 1024), bytes);
    spool.Reset();
    EXPECT_EQ(spool.size(), 0);
    EXPECT_EQ(ReadBack(spool, 1024), "");
    ASSERT_TRUE(spool.Append(bytes).ok());  // usable again
    EXPECT_FALSE(spool.in_memory());
    EXPECT_EQ(ReadBack(spool, 1024), bytes);
  }
  EXPECT_EQ(FilesIn(dir_), 0u);
}

TEST_F(SpoolTest, RenameMovesTheWholeFileAndLeavesNothingBehind) {
  fs::create_directories(dir_ / "final");
  Spool spool(dir_.string(), 0);
  ASSERT_TRUE(spool.Append("abc").ok());
  EXPECT_FALSE(spool.in_memory());
  ASSERT_TRUE(spool.RenameTo((dir_ / "final" / "f").string()).ok());
  EXPECT_EQ(spool.size(), 0);
  std::ifstream in(dir_ / "final" / "f", std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "abc");
  EXPECT_EQ(FilesIn(dir_), 1u);  // just final/
  EXPECT_TRUE(SyncDirectory((dir_ / "final").string()).ok());
}

// A migrate killed mid-download (SIGKILL: no destructor runs) leaves no
// spool file behind — the directory store spools every download in
// <dir>/.spool, the Postgres one large downloads in the temp directory.
TEST_F(SpoolTest, AKilledProcessLeavesNoSpoolFile) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Spool spool(dir_.string(), 0);
    char ok = spool.Append("half a download").ok() && !spool.in_memory() ? '1' : '0';
    if (::write(ready[1], &ok, 1) != 1) ::_exit(1);
    for (;;) ::pause();
  }
  ::close(ready[1]);
  char ok = 0;
  EXPECT_EQ(::read(ready[0], &ok, 1), 1);
  ::close(ready[0]);
  EXPECT_EQ(ok, '1');
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_EQ(FilesIn(dir_), 0u);
}

TEST_F(SpoolTest, RenameOverAnExistingFileReplacesIt) {
  {
    std::ofstream out(dir_ / "f", std::ios::binary);
    out << "old";
  }
  Spool spool(dir_.string(), 0);
  ASSERT_TRUE(spool.Append("new bytes").ok());
  ASSERT_TRUE(spool.RenameTo((dir_ / "f").string()).ok());
  std::ifstream in(dir_ / "f", std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "new bytes");
  EXPECT_EQ(FilesIn(dir_), 1u);
}

TEST_F(SpoolTest, EmptyContentStillBecomesAFile) {
  Spool spool(dir_.string(), 1 << 20);
  ASSERT_TRUE(spool.RenameTo((dir_ / "empty").string()).ok());
  EXPECT_EQ(fs::file_size(dir_ / "empty"), 0u);
}

TEST_F(SpoolTest, AMissingDirectoryIsAnErrorNotACrash) {
  Spool spool((dir_ / "missing").string(), 0);
  Status status = spool.Append("x");
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.ToString();
}

}  // namespace
}  // namespace airpg::blobs
