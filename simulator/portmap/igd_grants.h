// The IGD's MappingGrants over the shared MappingService: what
// WANIPConnection asks, said in the words every port mapping protocol uses.
//
// An AddPortMapping becomes a GrantRequest by UPnP for the exact external
// port (UPnP has no "suggest"), a release a `remove`, a refusal the
// service's `refused` with the UPnP error code as the result code. The
// service's refusals map back: NotAuthorized to 606, NoResources to 728,
// CannotProvideExternal to "taken" (718 or 729, igd_service.h), and anything
// else to 606.
#pragma once

#include "simulator/portmap/igd_service.h"
#include "simulator/portmap/mapping_service.h"

namespace natlab::portmap {

class ServiceGrants final : public MappingGrants {
public:
    explicit ServiceGrants(MappingService& service) : service_(service) {}

    Ipv4 external_address(Ipv4 inside) const override { return service_.external_address(inside); }
    GrantAnswer grant(const GrantAsk& ask, TimePoint now) override;
    void release(Protocol protocol, Endpoint internal, TimePoint now) override;
    void refused(const GrantAsk& ask, int code, std::string_view why, TimePoint now) override;

private:
    MappingService& service_;
};

}  // namespace natlab::portmap
