#include "http/connection.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/core.h>

namespace airpg::http {
namespace {

void Address(int fd, bool peer, std::string* ip, int* port) {
  sockaddr_storage addr{};
  socklen_t length = sizeof(addr);
  int rc = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &length)
                : getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  if (rc != 0) return;
  char host[NI_MAXHOST], service[NI_MAXSERV];
  if (getnameinfo(reinterpret_cast<sockaddr*>(&addr), length, host, sizeof(host), service,
                  sizeof(service), NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    *ip = host;
    *port = std::atoi(service);
  }
}

}  // namespace

Connection::Connection(int fd) : fd(fd), since(std::chrono::steady_clock::now()) {
  if (fd < 0) return;
  Address(fd, true, &remote_ip, &remote_port);
  Address(fd, false, &local_ip, &local_port);
}

Connection::~Connection() {
  if (fd < 0) return;
  shutdown(fd, SHUT_RDWR);
  close(fd);
}

void Connection::Consume(size_t n) {
  consumed += n;
  if (consumed == buffer.size()) {
    buffer.clear();
    consumed = 0;
  } else if (consumed > 64 * 1024 && consumed > buffer.size() / 2) {
    buffer.erase(0, consumed);
    consumed = 0;
  }
}

bool Connection::HeadComplete() const {
  return Pending().find("\r\n\r\n") != std::string_view::npos;
}

void Connection::SendNow(std::string_view response) const {
  if (fd < 0) return;
  [[maybe_unused]] ssize_t sent =
      send(fd, response.data(), response.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

std::string CannedResponse(int status, std::string_view type, std::string_view message) {
  std::string body = fmt::format(R"({{"error":{{"type":"{}","message":"{}"}}}})", type, message);
  return fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
      "Connection: close\r\n\r\n{}",
      status, ReasonPhrase(status), body.size(), body);
}

}  // namespace airpg::http
