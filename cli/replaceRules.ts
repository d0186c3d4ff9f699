// Which input changes replace a resource, per type: the providers' own replace-on-change
// properties (ForceNew in Terraform SDKv2 schemas, RequiresReplace plan modifiers in framework
// schemas; Pulumi's bridged providers take them from there), read from the provider sources the
// Pulumi packages Berth installs are built on. Berth's plan diff uses them with the options the
// engine records (ignoreChanges, replaceOnChanges, deleteBeforeReplace). A test checks that every
// input Berth sets is classified here, so a new property cannot slip through unexamined.
//
// Paths are Pulumi (camelCase) input names; "a.b" is a nested field, a prefix covers its children.

/**
 * The provider packages the rules below were read for, at the exact versions package.json pins
 * (a newer provider may turn an update into a replacement). test/cli/replaceRules.test.ts fails
 * when an installed version differs: re-read that provider's rules from the sources named in SRC
 * for the new version, then change the version here and in package.json together.
 */
export const RULES_READ_FOR = {
  "@pulumi/aws": "7.48.0",
  "@pulumi/cloudflare": "6.22.1",
  "@pulumi/command": "1.2.1",
  "@pulumi/docker": "5.2.0",
  "@pulumi/random": "4.21.2",
  "@pulumi/tls": "5.6.1",
} as const;
const V = RULES_READ_FOR;

/** Where a rule was read. */
const SRC = {
  aws: (file: string, commit: string) => `hashicorp/terraform-provider-aws ${file} @ ${commit.slice(0, 12)} (@pulumi/aws ${V["@pulumi/aws"]} bridges it)`,
  /** The newest copy of a file the search index had came from a plain mirror of the provider (a commit of its history). */
  awsMirror: (file: string, commit: string) =>
    `hashicorp/terraform-provider-aws ${file} @ ${commit.slice(0, 12)} (read from the mirror zongruxie4/terraform-provider-aws; @pulumi/aws ${V["@pulumi/aws"]} bridges it)`,
  tls: `hashicorp/terraform-provider-tls internal/provider/resource_*.go @ d72d90e1b47b (v4.2.1+; @pulumi/tls ${V["@pulumi/tls"]})`,
  random: `hashicorp/terraform-provider-random internal/provider/resource_password.go @ ad788e233bb4 (v3.9.0+; @pulumi/random ${V["@pulumi/random"]})`,
  cloudflare: (file: string) =>
    `cloudflare/terraform-provider-cloudflare internal/services/${file}/schema.go @ a2efdc5786ae (v5.22.0; @pulumi/cloudflare ${V["@pulumi/cloudflare"]})`,
  docker: (file: string) => `kreuzwerker/terraform-provider-docker internal/provider/${file} @ 83c00e0bf3ce (@pulumi/docker ${V["@pulumi/docker"]})`,
  command: `node_modules/@pulumi/command/remote/command.js (@pulumi/command ${V["@pulumi/command"]}): the SDK sets replaceOnChanges ["triggers[*]"]; every other input is an update (a changed create runs create again)`,
} as const;

export interface ReplaceRule {
  /** Inputs whose change forces a new resource. */
  readonly replace: readonly string[];
  /** Inputs the provider updates in place (listed so that every input Berth sets is classified). */
  readonly update: readonly string[];
  /** Anything not listed: "replace" for resources whose schema makes nearly everything ForceNew. */
  readonly otherwise?: "replace";
  /** A replacement the schema decides from both values rather than from one property. */
  readonly custom?: (before: Record<string, unknown>, after: Record<string, unknown>) => string | undefined;
  /** Updates that disrupt service although the resource stays (shown next to the change). */
  readonly disruptive?: Readonly<Record<string, string>>;
  readonly source: string;
}

const TAGS = ["tags"];
const present = (o: Record<string, unknown>, k: string): boolean => o[k] !== undefined && o[k] !== null && o[k] !== "";

/** aws_vpc_security_group_{ingress,egress}_rule.ModifyPlan: changing the kind of source replaces the rule. */
function ruleSourceKind(before: Record<string, unknown>, after: Record<string, unknown>): string | undefined {
  const kind = (o: Record<string, unknown>): string =>
    ["cidrIpv4", "cidrIpv6", "prefixListId", "referencedSecurityGroupId"].filter((k) => present(o, k)).join("+");
  return kind(before) !== kind(after) ? `source changes from ${kind(before) || "none"} to ${kind(after) || "none"}` : undefined;
}

const SG_RULE: ReplaceRule = {
  replace: ["securityGroupId"],
  update: ["cidrIpv4", "cidrIpv6", "description", "fromPort", "toPort", "ipProtocol", "prefixListId", "referencedSecurityGroupId", ...TAGS],
  custom: ruleSourceKind,
  source: SRC.aws("internal/service/ec2/vpc_security_group_ingress_rule.go", "00a322094b4b9ade8a81b244345dbcf4b52ee8d6"),
};

export const REPLACE_RULES: Readonly<Record<string, ReplaceRule>> = {
  "aws:ec2/vpc:Vpc": {
    replace: ["cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"],
    update: [
      "enableDnsHostnames",
      "enableDnsSupport",
      "enableNetworkAddressUsageMetrics",
      "instanceTenancy",
      "assignGeneratedIpv6CidrBlock",
      "ipv6CidrBlock",
      "ipv6IpamPoolId",
      "ipv6NetmaskLength",
      ...TAGS,
    ],
    source: SRC.aws("internal/service/ec2/vpc_.go", "00081ce41cc691433ac19bf42227cdabffd0454d"),
  },
  "aws:ec2/subnet:Subnet": {
    replace: [
      "availabilityZone",
      "availabilityZoneId",
      "cidrBlock",
      "vpcId",
      "ipv4IpamPoolId",
      "ipv4NetmaskLength",
      "ipv6IpamPoolId",
      "ipv6Native",
      "ipv6NetmaskLength",
      "outpostArn",
    ],
    update: ["mapPublicIpOnLaunch", "assignIpv6AddressOnCreation", "enableDns64", "ipv6CidrBlock", "privateDnsHostnameTypeOnLaunch", ...TAGS],
    source: SRC.aws("internal/service/ec2/vpc_subnet.go", "00cda125a19d31754cb0d073cf551264c57955cb"),
  },
  "aws:ec2/internetGateway:InternetGateway": {
    replace: [],
    update: ["vpcId", ...TAGS],
    source: SRC.aws("internal/service/ec2/vpc_internet_gateway.go", "08923b68b5ad6fcfdd38362fb5247e39a9b07add"),
  },
  "aws:ec2/routeTable:RouteTable": {
    replace: ["vpcId"],
    update: ["routes", "propagatingVgws", ...TAGS],
    source: SRC.aws("internal/service/ec2/vpc_route_table.go", "022092419b7cda11527df3c6b51cbfe1876c1722"),
  },
  "aws:ec2/routeTableAssociation:RouteTableAssociation": {
    replace: ["subnetId", "gatewayId"],
    update: ["routeTableId"],
    source: SRC.aws("internal/service/ec2/vpc_route_table_association.go", "0be71beb458ad8875e0acc5c91519c0ceeb214aa"),
  },
  // Private task subnets (components/taskNetwork.ts): the S3 gateway endpoint and the interface endpoints.
  "aws:ec2/vpcEndpoint:VpcEndpoint": {
    replace: [
      "vpcId",
      "serviceName",
      "vpcEndpointType",
      "serviceRegion",
      "resourceConfigurationArn",
      "serviceNetworkArn",
      "dnsOptions.privateDnsPreference",
      "dnsOptions.privateDnsSpecifiedDomains",
    ],
    update: [
      "policy",
      "privateDnsEnabled",
      "routeTableIds",
      "securityGroupIds",
      "subnetIds",
      "subnetConfigurations",
      "ipAddressType",
      "dnsOptions",
      "autoAccept",
      ...TAGS,
    ],
    // CustomizeDiff: private_dns_enabled changes in place on Interface endpoints only; on any other type it forces a new endpoint.
    custom: (before, after) =>
      before.privateDnsEnabled !== after.privateDnsEnabled && (after.vpcEndpointType ?? "Gateway") !== "Interface"
        ? "privateDnsEnabled of a non-Interface endpoint"
        : undefined,
    source: SRC.aws("internal/service/ec2/vpc_endpoint.go", "008db85aad5e56627b1eecab8830464a282552ed"),
  },
  "aws:ec2/securityGroup:SecurityGroup": {
    replace: ["name", "namePrefix", "description", "vpcId"],
    update: ["ingress", "egress", "revokeRulesOnDelete", ...TAGS],
    source: SRC.aws("internal/service/ec2/vpc_security_group.go", "01606926a0c0ab9174aec440f976a48b0baee722"),
  },
  "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": {
    replace: ["vpcId"],
    update: ["ingress", "egress", "revokeRulesOnDelete", ...TAGS],
    source: SRC.aws("internal/service/ec2/vpc_default_security_group.go", "01f431114674c27cf790fafb67ac274bf8f765e1"),
  },
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": SG_RULE,
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": SG_RULE,
  "aws:ec2/keyPair:KeyPair": {
    replace: ["keyName", "keyNamePrefix", "publicKey"],
    update: TAGS,
    source: SRC.aws("internal/service/ec2/ec2_key_pair.go", "05bc9541efe73ea58b95ad961676ed4aba3fb03f"),
  },
  "aws:ec2/instance:Instance": {
    replace: [
      "ami",
      "associatePublicIpAddress",
      "availabilityZone",
      "cpuOptions",
      "cpuCoreCount",
      "cpuThreadsPerCore",
      "ebsBlockDevices",
      "ebsOptimized",
      "enclaveOptions",
      "ephemeralBlockDevices",
      "hibernation",
      "hostId",
      "ipv6AddressCount",
      "ipv6Addresses",
      "keyName",
      "launchTemplate",
      "networkInterfaces",
      "placementGroup",
      "placementPartitionNumber",
      "privateDnsNameOptions",
      "privateIp",
      "rootBlockDevice.encrypted",
      "rootBlockDevice.kmsKeyId",
      "securityGroups",
      "subnetId",
      "tenancy",
    ],
    update: [
      "instanceType",
      "metadataOptions",
      "rootBlockDevice.volumeSize",
      "rootBlockDevice.volumeType",
      "rootBlockDevice.deleteOnTermination",
      "rootBlockDevice.iops",
      "rootBlockDevice.throughput",
      "rootBlockDevice.tags",
      "userData",
      "userDataBase64",
      "userDataReplaceOnChange",
      "vpcSecurityGroupIds",
      "iamInstanceProfile",
      "monitoring",
      "disableApiStop",
      "disableApiTermination",
      "creditSpecification",
      "maintenanceOptions",
      "secondaryPrivateIps",
      "sourceDestCheck",
      "volumeTags",
      "instanceInitiatedShutdownBehavior",
      ...TAGS,
    ],
    // customdiff.ForceNewIf("user_data", user_data_replace_on_change)
    custom: (before, after) =>
      after.userDataReplaceOnChange === true && (before.userData !== after.userData || before.userDataBase64 !== after.userDataBase64)
        ? "userData with userDataReplaceOnChange"
        : undefined,
    disruptive: { instanceType: "stops and starts the instance", userData: "stops and starts the instance (Berth ignores it on a running host)" },
    source: SRC.aws("internal/service/ec2/ec2_instance.go", "0015dfcd06d5d78e5e1c3cabe8cea837d379d1c7"),
  },
  "aws:ebs/volume:Volume": {
    // size, type, iops and throughput change in place (ModifyVolume); no CustomizeDiff forces a new volume on a smaller size
    // (ModifyVolume refuses it: Berth checks first, components/dataVolume.ts).
    replace: ["availabilityZone", "encrypted", "kmsKeyId", "multiAttachEnabled", "outpostArn", "snapshotId"],
    update: ["size", "type", "iops", "throughput", "finalSnapshot", "volumeInitializationRate", ...TAGS],
    disruptive: { type: "EBS optimizes the volume for hours; at most one modification per volume every 6 hours" },
    source: SRC.aws("internal/service/ec2/ebs_volume.go", "0073593e7d6993ba482409f4dc35438daaa79bb3"),
  },
  "aws:ec2/volumeAttachment:VolumeAttachment": {
    // Update is a no-op: only the delete-time flags change in place.
    replace: ["deviceName", "instanceId", "volumeId"],
    update: ["forceDetach", "skipDestroy", "stopInstanceBeforeDetaching"],
    source: SRC.aws("internal/service/ec2/ebs_volume_attachment.go", "0620f2a6a126dfcbc4aecbc9a117b0fbea1656ff"),
  },
  "aws:dlm/lifecyclePolicy:LifecyclePolicy": {
    // UpdateLifecyclePolicy takes description, role, state and the details; a schedule's copy_tags is ForceNew.
    replace: ["policyDetails.schedules[*].copyTags"],
    update: ["description", "executionRoleArn", "state", "policyDetails", "defaultPolicy", ...TAGS],
    source: SRC.aws("internal/service/dlm/lifecycle_policy.go", "0148137dc6fb802b97b74036846777ab15c0f9ad"),
  },
  "aws:ec2/eip:Eip": {
    replace: ["address", "domain", "ipamPoolId", "networkBorderGroup", "publicIpv4Pool"],
    update: ["instance", "networkInterface", "associateWithPrivateIp", "customerOwnedIpv4Pool", ...TAGS],
    source: SRC.aws("internal/service/ec2/ec2_eip.go", "01606926a0c0ab9174aec440f976a48b0baee722"),
  },
  "aws:rds/subnetGroup:SubnetGroup": {
    replace: ["name", "namePrefix"],
    update: ["description", "subnetIds", ...TAGS],
    source: SRC.aws("internal/service/rds/subnet_group.go", "01c08000ddb14181b5bd19201d8fca311dc570e4"),
  },
  "aws:rds/parameterGroup:ParameterGroup": {
    replace: ["description", "family", "name", "namePrefix"],
    update: ["parameters", "skipDestroy", ...TAGS],
    source: SRC.aws("internal/service/rds/parameter_group.go", "01606926a0c0ab9174aec440f976a48b0baee722"),
  },
  "aws:rds/instance:Instance": {
    replace: [
      "availabilityZone",
      "characterSetName",
      "customIamInstanceProfile",
      "dbName",
      "engine",
      "identifierPrefix",
      "kmsKeyId",
      "ncharCharacterSetName",
      "restoreToPointInTime",
      "s3Import",
      "snapshotIdentifier",
      "storageEncrypted",
      "timezone",
      "username",
    ],
    // identifier: ForceNew in the stored source, renamed in place since terraform-provider-aws #31232 (v5),
    // which @pulumi/aws 7 (terraform-provider-aws v6) includes.
    // enabledCloudwatchLogsExports: a TypeSet without ForceNew; resourceInstanceUpdate sends the added and
    // removed log types as ModifyDBInstance CloudwatchLogsExportConfiguration, so it changes in place.
    update: [
      "allocatedStorage",
      "allowMajorVersionUpgrade",
      "applyImmediately",
      "autoMinorVersionUpgrade",
      "backupRetentionPeriod",
      "backupWindow",
      "caCertIdentifier",
      "copyTagsToSnapshot",
      "dbSubnetGroupName",
      "deleteAutomatedBackups",
      "deletionProtection",
      "engineLifecycleSupport",
      "engineVersion",
      "finalSnapshotIdentifier",
      "iamDatabaseAuthenticationEnabled",
      "identifier",
      "instanceClass",
      "iops",
      "maintenanceWindow",
      "maxAllocatedStorage",
      "monitoringInterval",
      "monitoringRoleArn",
      "multiAz",
      "networkType",
      "optionGroupName",
      "parameterGroupName",
      "password",
      "performanceInsightsEnabled",
      "port",
      "publiclyAccessible",
      "skipFinalSnapshot",
      "storageThroughput",
      "storageType",
      "vpcSecurityGroupIds",
      "enabledCloudwatchLogsExports",
      ...TAGS,
    ],
    disruptive: {
      instanceClass: "restarts the database (at once with applyImmediately)",
      identifier: "renames the database and changes its endpoint",
      multiAz: "converts in the background",
      engineVersion: "upgrades the engine (a restart)",
      port: "restarts the database",
    },
    source: SRC.aws("internal/service/rds/instance.go", "00e4b23838859616dd0ebc9d1fd9364c0f6bff22"),
  },
  "aws:route53/zone:Zone": {
    replace: ["name", "delegationSetId"],
    update: ["comment", "forceDestroy", "vpcs", ...TAGS],
    source: SRC.aws("internal/service/route53/zone.go", "036631a1dee59efb6d1986c0a19b373402bda29f"),
  },
  "aws:route53/record:Record": {
    replace: ["name", "zoneId"],
    update: [
      "records",
      "ttl",
      "type",
      "aliases",
      "allowOverwrite",
      "setIdentifier",
      "healthCheckId",
      "failoverRoutingPolicies",
      "geolocationRoutingPolicies",
      "latencyRoutingPolicies",
      "weightedRoutingPolicies",
      "multivalueAnswerRoutingPolicy",
      "cidrRoutingPolicy",
      "geoproximityRoutingPolicy",
    ],
    source: SRC.aws("internal/service/route53/record.go", "00655c1681ea1e49ab10cd32d3f8bee372b2095b"),
  },
  "cloudflare:index/dnsRecord:DnsRecord": {
    replace: ["zoneId", "type"],
    update: ["name", "content", "ttl", "proxied", "comment", "tags", "priority", "data", "settings"],
    source: SRC.cloudflare("dns_record"),
  },
  "cloudflare:index/originCaCertificate:OriginCaCertificate": {
    replace: ["csr", "hostnames", "requestType", "requestedValidity"],
    update: [],
    source: SRC.cloudflare("origin_ca_certificate"),
  },
  "tls:index/privateKey:PrivateKey": { replace: ["algorithm", "rsaBits", "ecdsaCurve"], update: [], source: SRC.tls },
  "tls:index/selfSignedCert:SelfSignedCert": {
    replace: [
      "privateKeyPem",
      "validityPeriodHours",
      "allowedUses",
      "dnsNames",
      "ipAddresses",
      "uris",
      "isCaCertificate",
      "maxPathLength",
      "setSubjectKeyId",
      "setAuthorityKeyId",
      "subject",
    ],
    update: ["earlyRenewalHours"],
    source: SRC.tls,
  },
  "tls:index/certRequest:CertRequest": { replace: ["privateKeyPem", "dnsNames", "ipAddresses", "uris", "subject"], update: [], source: SRC.tls },
  "tls:index/locallySignedCert:LocallySignedCert": {
    replace: ["caCertPem", "caPrivateKeyPem", "certRequestPem", "validityPeriodHours", "allowedUses", "isCaCertificate", "maxPathLength", "setSubjectKeyId"],
    update: ["earlyRenewalHours"],
    source: SRC.tls,
  },
  "random:index/randomPassword:RandomPassword": {
    replace: ["keepers", "length", "special", "upper", "lower", "number", "numeric", "minNumeric", "minUpper", "minLower", "minSpecial", "overrideSpecial"],
    update: [],
    source: SRC.random,
  },
  "command:remote:Command": {
    replace: ["triggers"],
    update: ["connection", "create", "update", "delete", "stdin", "logging", "environment", "addPreviousOutputInEnv"],
    source: SRC.command,
  },
  "docker:index/remoteImage:RemoteImage": {
    replace: ["name", "pullTriggers", "triggers", "platform", "build"],
    update: ["keepLocally", "forceRemove"],
    source: SRC.docker("resource_docker_image.go"),
  },
  // Registry storage and the audit trail (issue 9). Read from the provider source at the commits
  // named (v6 text, 2026, unless a note says otherwise). @pulumi/aws 7.48 bridges a slightly newer
  // upstream: inputs that appear only there (Bucket bucketNamespace, FlowLog tagFieldSpecifications)
  // are not classified here as update; Berth sets neither.
  "aws:s3/bucket:Bucket": {
    // object_lock_configuration.object_lock_enabled (deprecated) is ForceNew too.
    replace: ["bucket", "bucketPrefix", "objectLockEnabled", "objectLockConfiguration.objectLockEnabled"],
    update: [
      "forceDestroy",
      "accelerationStatus",
      "acl",
      "corsRules",
      "grants",
      "lifecycleRules",
      "logging",
      "objectLockConfiguration.rule",
      "policy",
      "replicationConfiguration",
      "requestPayer",
      "serverSideEncryptionConfiguration",
      "versioning",
      "website",
      ...TAGS,
    ],
    source: SRC.awsMirror("internal/service/s3/bucket.go", "6d895ce683c6d71c8a230d6bed93f3b04b614e15"),
  },
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls": {
    replace: ["bucket"],
    update: ["rule"],
    source: SRC.aws("internal/service/s3/bucket_ownership_controls.go", "f128c8c71cd6b3318453e93eaf8d5cf78d0ce2d0"),
  },
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {
    replace: ["bucket"],
    update: ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets", "skipDestroy"],
    source: SRC.aws("internal/service/s3/bucket_public_access_block.go", "01606926a0c0ab9174aec440f976a48b0baee722"),
  },
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
    // expected_bucket_owner (deprecated) has no ForceNew flag; its CustomizeDiff forces a new resource
    // on any change except from unset to the provider's own account ID.
    replace: ["bucket", "expectedBucketOwner"],
    update: ["rules"],
    source: SRC.awsMirror("internal/service/s3/bucket_server_side_encryption_configuration.go", "261fa8474a5b2869adb0ab7f7237a6b8ebf7475c"),
  },
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {
    // A framework resource: RequiresReplace on bucket and expected_bucket_owner, none in the rule blocks.
    replace: ["bucket", "expectedBucketOwner"],
    update: ["rules", "transitionDefaultMinimumObjectSize", "timeouts"],
    source: SRC.awsMirror("internal/service/s3/bucket_lifecycle_configuration.go", "4b182db36b452875832ba3a8cab02c8063000ee3"),
  },
  "aws:s3/bucketPolicy:BucketPolicy": {
    replace: ["bucket"],
    update: ["policy"],
    source: SRC.awsMirror("internal/service/s3/bucket_policy.go", "fb01f934439b1a3fc701428d34a4b53bd0c5598e"),
  },
  "aws:iam/role:Role": {
    replace: ["name", "namePrefix", "path"],
    update: [
      "assumeRolePolicy",
      "description",
      "forceDetachPolicies",
      "inlinePolicies",
      "managedPolicyArns",
      "maxSessionDuration",
      "permissionsBoundary",
      ...TAGS,
    ],
    source: SRC.awsMirror("internal/service/iam/role.go", "04d4941274692c63df52ce0b58f6e94e77598810"),
  },
  "aws:iam/rolePolicy:RolePolicy": {
    // The stored copy at this commit is v5 text; the v6 text in the index (no commit named) has the same ForceNew set.
    replace: ["name", "namePrefix", "role"],
    update: ["policy"],
    source: SRC.aws("internal/service/iam/role_policy.go", "02f97af85f89a04e8ed89f5e8b64a9a67f3cfe07"),
  },
  "aws:iam/instanceProfile:InstanceProfile": {
    replace: ["name", "namePrefix", "path"],
    update: ["role", ...TAGS],
    source: SRC.awsMirror("internal/service/iam/instance_profile.go", "4501e12fa91e4986ddf11727122f5d71e4aa411f"),
  },
  "aws:cloudwatch/logGroup:LogGroup": {
    // deletion_protection_enabled is newer than this commit; the newer text in the index (no commit named)
    // has it Optional+Computed without ForceNew, set in place by PutLogGroupDeletionProtection.
    replace: ["name", "namePrefix", "logGroupClass"],
    update: ["retentionInDays", "kmsKeyId", "skipDestroy", "deletionProtectionEnabled", ...TAGS],
    source: SRC.aws("internal/service/logs/group.go", "0073593e7d6993ba482409f4dc35438daaa79bb3"),
  },
  // Alerts (berth:alerts).
  "aws:cloudwatch/logMetricFilter:LogMetricFilter": {
    // name and log_group_name are ForceNew; pattern and the transformation go through PutMetricFilter in place.
    replace: ["name", "logGroupName"],
    update: ["pattern", "metricTransformation", "applyOnTransformedLogs"],
    source: SRC.aws("internal/service/logs/metric_filter.go", "0f14e6f61f915a586756281ad21fd57e25f57daf"),
  },

  "aws:cloudwatch/metricAlarm:MetricAlarm": {
    // Only alarm_name (Pulumi: name) is ForceNew; every other argument goes through PutMetricAlarm in place.
    replace: ["name"],
    update: [
      "alarmDescription",
      "namespace",
      "metricName",
      "dimensions",
      "statistic",
      "period",
      "evaluationPeriods",
      "comparisonOperator",
      "threshold",
      "treatMissingData",
      "alarmActions",
      "okActions",
      "insufficientDataActions",
      "actionsEnabled",
      "datapointsToAlarm",
      "unit",
      ...TAGS,
    ],
    source: SRC.aws("internal/service/cloudwatch/metric_alarm.go", "055611a654738da73e7b1e2b5d2b7672c6d4d531"),
  },
  "aws:sns/topic:Topic": {
    replace: ["name", "namePrefix", "fifoTopic"],
    update: ["kmsMasterKeyId", "displayName", "deliveryPolicy", "policy", "signatureVersion", "tracingConfig", ...TAGS],
    source: SRC.aws("internal/service/sns/topic.go", "00a35305dc1b297a6fcdecdfbba33f1e63c3da39"),
  },
  "aws:sns/topicSubscription:TopicSubscription": {
    replace: ["endpoint", "protocol", "topic"],
    update: [
      "deliveryPolicy",
      "filterPolicy",
      "filterPolicyScope",
      "rawMessageDelivery",
      "redrivePolicy",
      "endpointAutoConfirms",
      "confirmationTimeoutInMinutes",
    ],
    source: SRC.aws("internal/service/sns/topic_subscription.go", "04a2e6e5bc625ec85ea8c678219b483fc674877e"),
  },
  "aws:rds/eventSubscription:EventSubscription": {
    // source_ids change by Add/RemoveSourceIdentifier, the rest by ModifyEventSubscription.
    replace: ["name", "namePrefix"],
    update: ["snsTopic", "sourceType", "sourceIds", "eventCategories", "enabled", ...TAGS],
    source: SRC.aws("internal/service/rds/event_subscription.go", "03e17e1998974ee80e6bc456e06222d26cc87344"),
  },
  "aws:sns/topicPolicy:TopicPolicy": {
    replace: ["arn"],
    update: ["policy"],
    source: SRC.aws("internal/service/sns/topic_policy.go", "00a35305dc1b297a6fcdecdfbba33f1e63c3da39"),
  },
  "aws:cloudwatch/dashboard:Dashboard": {
    replace: ["dashboardName"],
    update: ["dashboardBody"],
    source: SRC.aws("internal/service/cloudwatch/dashboard.go", "0620f2a6a126dfcbc4aecbc9a117b0fbea1656ff"),
  },
  "aws:kms/key:Key": {
    replace: ["customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"],
    update: [
      "description",
      "policy",
      "enableKeyRotation",
      "rotationPeriodInDays",
      "isEnabled",
      "deletionWindowInDays",
      "bypassPolicyLockoutSafetyCheck",
      ...TAGS,
    ],
    source: SRC.aws("internal/service/kms/key.go", "00a35305dc1b297a6fcdecdfbba33f1e63c3da39"),
  },
  "aws:ec2/flowLog:FlowLog": {
    // Every argument but tags is ForceNew (the update function handles tags only); an argument newer than
    // this commit (tagFieldSpecifications) falls under otherwise: "replace" until it is read.
    replace: [
      "deliverCrossAccountRole",
      "destinationOptions",
      "eniId",
      "iamRoleArn",
      "logDestination",
      "logDestinationType",
      "logFormat",
      "maxAggregationInterval",
      "regionalNatGatewayId",
      "subnetId",
      "trafficType",
      "transitGatewayAttachmentId",
      "transitGatewayId",
      "vpcId",
    ],
    otherwise: "replace",
    update: [...TAGS],
    source: SRC.awsMirror("internal/service/ec2/vpc_flow_log.go", "f528c1eed2fa772df0f9de7006407a71813d2b23"),
  },
  // Apps on ECS (components/ecsApps.ts, components/loadBalancer.ts): the inputs Berth sets, read per resource.
  "aws:ecr/repository:Repository": {
    replace: ["name", "encryptionConfigurations"],
    update: ["imageTagMutability", "imageScanningConfiguration", "forceDelete", ...TAGS],
    source: SRC.aws("internal/service/ecr/repository.go", "0072eea2d6046230a1fb7717741c17fd2122175e"),
  },
  "aws:ecr/lifecyclePolicy:LifecyclePolicy": {
    // No update function: both arguments are ForceNew.
    replace: ["policy", "repository"],
    update: [],
    source: SRC.aws("internal/service/ecr/lifecycle_policy.go", "00a35305dc1b297a6fcdecdfbba33f1e63c3da39"),
  },
  "aws:kms/alias:Alias": {
    replace: ["name", "namePrefix"],
    update: ["targetKeyId"],
    source: SRC.aws("internal/service/kms/alias.go", "01c08000ddb14181b5bd19201d8fca311dc570e4"),
  },
  "aws:ssm/parameter:Parameter": {
    replace: ["name", "dataType"],
    update: ["type", "value", "keyId", "description", "tier", "allowedPattern", "overwrite", "insecureValue", ...TAGS],
    source: SRC.aws("internal/service/ssm/parameter.go", "0073593e7d6993ba482409f4dc35438daaa79bb3"),
  },
  "aws:ecs/cluster:Cluster": {
    replace: ["name"],
    update: ["settings", "configuration", "serviceConnectDefaults", ...TAGS],
    source: SRC.aws("internal/service/ecs/cluster.go", "00a35305dc1b297a6fcdecdfbba33f1e63c3da39"),
  },
  "aws:ecs/taskDefinition:TaskDefinition": {
    // Every argument but tags and skip_destroy is ForceNew: a change registers a new revision.
    replace: [
      "containerDefinitions",
      "cpu",
      "memory",
      "family",
      "executionRoleArn",
      "taskRoleArn",
      "networkMode",
      "requiresCompatibilities",
      "runtimePlatform",
      "volumes",
    ],
    otherwise: "replace",
    update: ["skipDestroy", ...TAGS],
    source: SRC.aws("internal/service/ecs/task_definition.go", "04fc21d56d73cb67a9bbef2aedcffe8fbfd07286"),
  },
  "aws:scheduler/scheduleGroup:ScheduleGroup": {
    // Tags only are updated in place.
    replace: ["name", "namePrefix"],
    update: [...TAGS],
    source: SRC.aws("internal/service/scheduler/schedule_group.go", "ccdfa898ead0b3742687d9a105740225179e0938"),
  },
  "aws:scheduler/schedule:Schedule": {
    // UpdateSchedule rewrites the whole schedule: only its name and group make a new one.
    replace: ["name", "namePrefix", "groupName"],
    update: ["description", "endDate", "flexibleTimeWindow", "kmsKeyArn", "scheduleExpression", "scheduleExpressionTimezone", "startDate", "state", "target"],
    source: SRC.aws("internal/service/scheduler/schedule.go", "ba2931406ac6b8627b6360a3b0194a255b070c8e"),
  },
  "aws:ecs/service:Service": {
    replace: ["name", "cluster", "launchType", "iamRole", "schedulingStrategy", "deploymentController.type"],
    update: [
      "taskDefinition",
      "desiredCount",
      "networkConfiguration",
      "loadBalancers",
      "deploymentMinimumHealthyPercent",
      "deploymentMaximumPercent",
      "deploymentCircuitBreaker",
      "healthCheckGracePeriodSeconds",
      "propagateTags",
      "platformVersion",
      "enableEcsManagedTags",
      "enableExecuteCommand",
      "waitForSteadyState",
      ...TAGS,
    ],
    source: SRC.aws("internal/service/ecs/service.go", "00a919d1548eb437816d4838f320502ad34183ff"),
  },
  "aws:lb/loadBalancer:LoadBalancer": {
    replace: ["name", "namePrefix", "internal", "loadBalancerType", "customerOwnedIpv4Pool"],
    update: [
      "securityGroups",
      "subnets",
      "idleTimeout",
      "dropInvalidHeaderFields",
      "desyncMitigationMode",
      "enableDeletionProtection",
      "accessLogs",
      "enableHttp2",
      ...TAGS,
    ],
    source: SRC.aws("internal/service/elbv2/load_balancer.go", "00edc94be7a89c4c485415cdec27094875f61bfc"),
  },
  "aws:lb/targetGroup:TargetGroup": {
    replace: ["name", "namePrefix", "port", "protocol", "protocolVersion", "targetType", "vpcId", "ipAddressType"],
    update: ["deregistrationDelay", "healthCheck", "slowStart", "stickiness", "loadBalancingAlgorithmType", ...TAGS],
    source: SRC.aws("internal/service/elbv2/target_group.go", "013cfb4cddc9c44a28f34abad0c11768bcdb9b85"),
  },
  "aws:lb/listener:Listener": {
    replace: ["loadBalancerArn"],
    update: ["port", "protocol", "sslPolicy", "certificateArn", "defaultActions", "alpnPolicy", ...TAGS],
    source: SRC.aws("internal/service/elbv2/listener.go", "01c08000ddb14181b5bd19201d8fca311dc570e4"),
  },
  "aws:lb/listenerRule:ListenerRule": {
    replace: ["listenerArn"],
    update: ["priority", "actions", "conditions", ...TAGS],
    source: SRC.aws("internal/service/elbv2/listener_rule.go", "032c4f076a6cb8e54a85cb60f237cb80ab18b36b"),
  },
  "aws:acm/certificate:Certificate": {
    replace: ["domainName", "subjectAlternativeNames", "validationMethod", "keyAlgorithm", "certificateAuthorityArn", "validationOptions"],
    update: ["options", "earlyRenewalDuration", ...TAGS],
    source: SRC.aws("internal/service/acm/certificate.go", "01661ea3cbe6b07ed725b03c587d24ceb464484a"),
  },
  "aws:acm/certificateValidation:CertificateValidation": {
    // No update function: both arguments are ForceNew.
    replace: ["certificateArn", "validationRecordFqdns"],
    update: [],
    source: SRC.aws("internal/service/acm/certificate_validation.go", "004eea7f9b6658d88d652e89e10c7520a10ad6b8"),
  },
  "aws:appautoscaling/target:Target": {
    replace: ["resourceId", "scalableDimension", "serviceNamespace"],
    update: ["minCapacity", "maxCapacity", "roleArn", ...TAGS],
    source: SRC.aws("internal/service/appautoscaling/target.go", "0105d2191ae7e43ba37ba011b916843eddf361ed"),
  },
  "aws:appautoscaling/policy:Policy": {
    replace: ["name", "resourceId", "scalableDimension", "serviceNamespace"],
    update: ["policyType", "targetTrackingScalingPolicyConfiguration", "stepScalingPolicyConfiguration"],
    source: SRC.aws("internal/service/appautoscaling/policy.go", "048320e88399c508ae6481be5d8ef6fd6f71a9f6"),
  },
  "docker:index/container:Container": {
    replace: [],
    otherwise: "replace",
    update: ["restart", "rm", "start", "wait", "waitTimeout", "attach", "logs", "mustRun", "maxRetryCount", "removeVolumes", "destroyGraceSeconds"],
    source: SRC.docker("resource_docker_container.go (nearly every attribute is ForceNew)"),
  },
};

/** True when `path` (e.g. "rootBlockDevice.encrypted", "triggers[0]") is `rule` or lies under it. */
export function pathCovered(path: string, rule: string): boolean {
  const norm = (p: string): string => p.replace(/\[(\*|\d+)\]/g, ".*").replace(/\.\*$/, "");
  const p = path.replace(/\[\d+\]/g, ".*");
  const r = norm(rule);
  return p === r || p.startsWith(`${r}.`) || p.startsWith(`${r}[`);
}

/** Why a changed input path replaces the resource, or undefined when it is an update. */
export function replaceReason(type: string, path: string, replaceOnChanges: readonly string[]): string | undefined {
  const rule = REPLACE_RULES[type];
  if (replaceOnChanges.some((r) => r === "*" || pathCovered(path, r))) return "replaceOnChanges option";
  if (!rule) return undefined;
  if (rule.replace.some((r) => pathCovered(path, r))) return "provider schema";
  if (rule.otherwise === "replace" && !rule.update.some((r) => pathCovered(path, r))) return "provider schema";
  return undefined;
}

/** The disruption note for an in-place update of `path`, if the provider documents one. */
export function disruption(type: string, path: string): string | undefined {
  const d = REPLACE_RULES[type]?.disruptive ?? {};
  return Object.entries(d).find(([k]) => pathCovered(path, k))?.[1];
}

/** True when the rules classify `path` (as replace or update) for `type`. */
export function classified(type: string, path: string): boolean {
  const rule = REPLACE_RULES[type];
  return !!rule && (rule.otherwise === "replace" || [...rule.replace, ...rule.update].some((r) => pathCovered(path, r) || pathCovered(r, path)));
}
