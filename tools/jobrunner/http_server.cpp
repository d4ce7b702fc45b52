#include "http_server.h"

#include <httplib.h>

#include <charconv>

#include "cli_common.h"

namespace jobrunner::cli {

HttpAddress parse_http_address(const std::string& text) {
  auto colon = text.rfind(':');
  HttpAddress a;
  if (colon != std::string::npos) {
    a.host = text.substr(0, colon);
    if (a.host.size() > 2 && a.host.front() == '[' && a.host.back() == ']')
      a.host = a.host.substr(1, a.host.size() - 2);
    const char* begin = text.data() + colon + 1;
    const char* end = text.data() + text.size();
    auto [next, ec] = std::from_chars(begin, end, a.port);
    if (ec != std::errc() || next != end || begin == end || a.port < 0 || a.port > 65535) a.host.clear();
  }
  if (a.host.empty()) {
    throw UsageError(
        "--http: expected ADDR:PORT, e.g. 127.0.0.1:8080 or 0.0.0.0:8080 (port 0: any free port), not '" +
        text + "'");
  }
  return a;
}

HttpServer::HttpServer(Runner& runner, const Metrics& metrics)
    : runner_(runner), metrics_(metrics), server_(std::make_unique<httplib::Server>()) {
  server_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    if (runner_.draining()) {
      res.status = 503;
      res.set_content("draining\n", "text/plain");
    } else if (!runner_.running()) {
      res.status = 503;
      res.set_content("starting\n", "text/plain");
    } else {
      res.set_content("ok\n", "text/plain");
    }
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    auto counts = runner_.engine().job_count({});
    if (!counts.is_ok()) {
      res.status = 500;
      res.set_content("cannot count jobs: " + counts.status().to_string() + "\n", "text/plain");
      return;
    }
    res.set_content(metrics_.prometheus_text(*counts, runner_.executing(), runner_.draining()),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
}

HttpServer::~HttpServer() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

int HttpServer::bind(const HttpAddress& address) {
  int port = address.port;
  bool bound = port == 0 ? (port = server_->bind_to_any_port(address.host)) > 0
                         : server_->bind_to_port(address.host, port);
  if (!bound) {
    throw RuntimeError("--http: cannot listen on " + address.host + ":" + std::to_string(address.port) +
                       " (address in use, or not an address of this machine): choose another ADDR:PORT");
  }
  return port;
}

void HttpServer::start() {
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

}  // namespace jobrunner::cli
