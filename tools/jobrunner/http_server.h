// The daemon's HTTP endpoints, served only with `jobrunner run --http ADDR:PORT`:
//   GET /healthz  200 "ok" while the runner runs; 503 "draining" during a graceful stop (so a load
//                 balancer or Fly's check stops sending traffic), 503 "starting" before it runs.
//   GET /metrics  Prometheus text (see metrics.h).
// No endpoint changes state.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "jobrunner/runner.h"
#include "metrics.h"

namespace httplib {
class Server;
}

namespace jobrunner::cli {

struct HttpAddress {
  std::string host;
  int port = 0;  // 0: any free port
};

// "127.0.0.1:8080", "0.0.0.0:8080", "[::1]:8080". Throws UsageError otherwise.
HttpAddress parse_http_address(const std::string& text);

class HttpServer {
 public:
  HttpServer(Runner& runner, const Metrics& metrics);
  // Stops serving and waits for the server thread.
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds to the address (and only that address). Returns the port, the chosen one when port is 0.
  // Throws RuntimeError when the address cannot be bound.
  int bind(const HttpAddress& address);
  // Serves on a thread of its own. REQUIRES: bind() succeeded.
  void start();

 private:
  Runner& runner_;
  const Metrics& metrics_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace jobrunner::cli
