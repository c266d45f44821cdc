#include "emulator/emulator.h"

#include "emulator/data_file.h"
#include "emulator/service.h"
#include "http/server.h"

namespace airpg::emulator {

struct Emulator::Impl {
  explicit Impl(const EmulatorOptions& options) : service(options) {}
  Service service;
  http::Server server;
  bool stopped = false;
};

Emulator::Emulator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Emulator::~Emulator() { Stop().IgnoreError(); }

Result<std::unique_ptr<Emulator>> Emulator::Start(const EmulatorOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  Service& service = impl->service;
  Json initial = Json::object();
  if (!options.data_json.empty()) {
    initial = Json::parse(options.data_json, nullptr, false);
    if (initial.is_discarded()) return InvalidArgumentError("emulator data is not valid JSON");
  } else if (!options.data_path.empty()) {
    AIRPG_ASSIGN_OR_RETURN(
        Model loaded, LoadModelFile(options.data_path, service.ids, service.clock.NowMillis()));
    initial = ModelToJson(loaded);
  }
  AIRPG_ASSIGN_OR_RETURN(Model model,
                         ModelFromJson(initial, service.ids, service.clock.NowMillis()));
  service.Install(std::move(model));
  service.initial_state = ModelToJson(service.model);

  http::Server::Options server_options;
  server_options.host = options.host;
  server_options.port = options.port;
  server_options.threads = options.threads;
  Service* raw = &service;
  AIRPG_RETURN_IF_ERROR(impl->server.Start(
      server_options, [raw](const http::Request& request) { return raw->Handle(request); }));
  service.url = "http://" + options.host + ":" + std::to_string(impl->server.port());
  return std::unique_ptr<Emulator>(new Emulator(std::move(impl)));
}

int Emulator::port() const { return impl_->server.port(); }

std::string Emulator::url() const { return impl_->service.url; }

http::Response Emulator::Handle(const http::Request& request) {
  return impl_->service.Handle(request);
}

Status Emulator::Stop() {
  if (impl_->stopped) return Status::Ok();
  impl_->stopped = true;
  impl_->server.Stop();
  const EmulatorOptions& options = impl_->service.options;
  if (options.save_path.empty()) return Status::Ok();
  std::lock_guard lock(impl_->service.mu);
  return SaveModelFile(impl_->service.model, options.save_path);
}

int64_t Emulator::NowMillis() const { return impl_->service.clock.NowMillis(); }
void Emulator::FreezeClock(int64_t millis) { impl_->service.clock.Freeze(millis); }
void Emulator::AdvanceClock(int64_t millis) { impl_->service.clock.Advance(millis); }

}  // namespace airpg::emulator
