// airpg-test-cluster start|stop FILE: the CTest fixture `pg_cluster`. `start`
// creates one throwaway cluster for the whole test run and writes its admin
// URL and directory to FILE; `stop` (a cleanup test that CTest runs even when
// tests failed) stops it and deletes the directory and FILE.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "pg/testing/test_cluster.h"

namespace fs = std::filesystem;
using airpg::pg::testing::TestCluster;

namespace {

int Stop(const fs::path& file) {
  std::ifstream in(file);
  std::string url, home;
  std::getline(in, url);
  std::getline(in, home);
  in.close();
  std::error_code ec;
  fs::remove(file, ec);
  if (home.empty()) return 0;
  airpg::Status s = TestCluster::Destroy(home);
  if (!s.ok()) {
    std::cerr << "stopping test cluster: " << s.ToString() << "\n";
    return 1;
  }
  std::cout << "removed test cluster " << home << "\n";
  return 0;
}

int Start(const fs::path& file) {
  // A run killed before its cleanup leaves the file behind: clear that first.
  if (fs::exists(file)) Stop(file);
  airpg::Result<TestCluster> cluster = TestCluster::Create();
  if (!cluster.ok()) {
    std::cerr << "starting test cluster: " << cluster.status().ToString() << "\n";
    return 1;
  }
  std::ofstream(file) << cluster->admin_url() << "\n" << cluster->home().string() << "\n";
  std::cout << "test cluster in " << cluster->home().string() << "\n";
  cluster->Release();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || (std::string(argv[1]) != "start" && std::string(argv[1]) != "stop")) {
    std::cerr << "usage: airpg-test-cluster start|stop FILE\n";
    return 2;
  }
  return std::string(argv[1]) == "start" ? Start(argv[2]) : Stop(argv[2]);
}
