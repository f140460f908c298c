package io.raftlock.testing;

import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.stub.MetadataUtils;
import io.raftlock.proto.admin.ListMembersRequest;
import io.raftlock.proto.admin.ListMembersResponse;
import io.raftlock.proto.auth.AuthChangeRequest;
import io.raftlock.proto.auth.AuthStatusRequest;
import io.raftlock.proto.auth.AuthStatusResponse;
import io.raftlock.proto.auth.CreateKeyRequest;
import io.raftlock.proto.auth.EnableAuthRequest;
import io.raftlock.proto.auth.NewKeyResponse;

/**
 * The {@code raftlock.v1.Auth} and {@code raftlock.v1.Admin} services called from a stock
 * grpc-java client, and channels that send an API key the way any gRPC client would: as
 * {@code authorization: Bearer <key>} metadata.
 */
public final class StockAuth {
  public static final String SERVICE = "raftlock.v1.Auth";
  public static final MethodDescriptor<EnableAuthRequest, NewKeyResponse> ENABLE = StockRaftLock.unary(SERVICE,
      "Enable", EnableAuthRequest.getDefaultInstance(), NewKeyResponse.getDefaultInstance());
  public static final MethodDescriptor<CreateKeyRequest, NewKeyResponse> CREATE_KEY = StockRaftLock.unary(SERVICE,
      "CreateKey", CreateKeyRequest.getDefaultInstance(), NewKeyResponse.getDefaultInstance());
  public static final MethodDescriptor<AuthChangeRequest, AuthStatusResponse> CHANGE = StockRaftLock.unary(SERVICE,
      "Change", AuthChangeRequest.getDefaultInstance(), AuthStatusResponse.getDefaultInstance());
  public static final MethodDescriptor<AuthStatusRequest, AuthStatusResponse> STATUS = StockRaftLock.unary(SERVICE,
      "Status", AuthStatusRequest.getDefaultInstance(), AuthStatusResponse.getDefaultInstance());
  public static final MethodDescriptor<ListMembersRequest, ListMembersResponse> LIST_MEMBERS = StockRaftLock.unary(
      "raftlock.v1.Admin", "ListMembers", ListMembersRequest.getDefaultInstance(),
      ListMembersResponse.getDefaultInstance());

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private StockAuth() {}

  /** {@code channel} with every call carrying {@code key}. */
  public static Channel withKey(Channel channel, String key) {
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + key);
    return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
  }
}
