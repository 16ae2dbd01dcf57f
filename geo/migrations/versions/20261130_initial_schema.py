"""Initial schema: regions and grid cells, people and links, cases, supervision records, access.

Revision ID: 0001
Revises: 
Create Date: 2026-11-30 05:55:43.091899
"""

from alembic import op
import geoalchemy2
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('username', sa.Text(), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('target', sa.Text(), nullable=True),
    sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index(op.f('ix_audit_log_at'), 'audit_log', ['at'], unique=False)
    op.create_index(op.f('ix_audit_log_username'), 'audit_log', ['username'], unique=False)
    op.create_table('demo_criterion',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('weight', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('target', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('direction', sa.Enum('up', 'down', name='direction', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('measure', sa.Enum('one_time_resolution_rate', 'satisfaction_rate', 'backlog_resolution_rate', 'zero_petition_village_share', 'overdue_petitions', 'entered', name='criterion_measure', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('unit', sa.Text(), server_default='', nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.CheckConstraint('weight > 0', name=op.f('ck_demo_criterion_weight_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_demo_criterion')),
    sa.UniqueConstraint('year', 'name', name=op.f('uq_demo_criterion_year_name'))
    )
    op.create_table('demo_load',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('scale', sa.Text(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('counts', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_demo_load'))
    )
    op.create_geospatial_table('region',
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('short_name', sa.Text(), nullable=True),
    sa.Column('level', sa.Enum('city', 'county', 'township', 'village', name='region_level', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('kind', sa.Enum('prefecture', 'district', 'county', 'zone', 'subdistrict', 'town', 'xiang', 'other_township', 'community', 'village', name='region_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('parent_code', sa.String(length=12), nullable=True),
    sa.Column('county_code', sa.String(length=6), nullable=True),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('geom_source', sa.Enum('official', 'illustrative', name='geometry_source', native_enum=False, create_constraint=True), nullable=True),
    sa.CheckConstraint("code ~ '^[0-9]{6}([0-9]{6})?$'", name=op.f('ck_region_code_digits')),
    sa.CheckConstraint('(geom IS NULL) = (geom_source IS NULL)', name=op.f('ck_region_geom_has_source')),
    sa.ForeignKeyConstraint(['parent_code'], ['region.code'], name=op.f('fk_region_parent_code_region')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_region'))
    )
    op.create_geospatial_index('idx_region_geom', 'region', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_region_county_code'), 'region', ['county_code'], unique=False)
    op.create_index(op.f('ix_region_level'), 'region', ['level'], unique=False)
    op.create_index(op.f('ix_region_parent_code'), 'region', ['parent_code'], unique=False)
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('username', sa.Text(), nullable=False),
    sa.Column('display_name', sa.Text(), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('role', sa.Enum('leadership', 'county_supervisor', 'township_supervisor', 'reviewer', 'admin', name='role', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('failed_attempts', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("role NOT IN ('county_supervisor', 'township_supervisor') OR region_code IS NOT NULL", name=op.f('ck_app_user_supervisor_has_region')),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_app_user_region_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )
    op.create_table('demo_county_status',
    sa.Column('county_code', sa.String(length=12), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('stage', sa.Enum('applied', 'building', 'acceptance', 'named', name='demo_county_stage', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('source', sa.Enum('demo', 'import', 'entered', name='record_source', native_enum=False, create_constraint=True), nullable=False),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_demo_county_status_county_code_region')),
    sa.PrimaryKeyConstraint('county_code', 'year', name=op.f('pk_demo_county_status'))
    )
    op.create_index(op.f('ix_demo_county_status_source'), 'demo_county_status', ['source'], unique=False)
    op.create_table('demo_score',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('county_code', sa.String(length=12), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('reviewed_on', sa.Date(), nullable=False),
    sa.Column('value', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('entered_by', sa.Text(), nullable=False),
    sa.Column('source', sa.Enum('demo', 'import', 'entered', name='record_source', native_enum=False, create_constraint=True), nullable=False),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_demo_score_county_code_region')),
    sa.ForeignKeyConstraint(['criterion_id'], ['demo_criterion.id'], name=op.f('fk_demo_score_criterion_id_demo_criterion'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_demo_score')),
    sa.UniqueConstraint('county_code', 'criterion_id', 'reviewed_on', name=op.f('uq_demo_score_county_code_criterion_id_reviewed_on'))
    )
    op.create_index(op.f('ix_demo_score_county_code'), 'demo_score', ['county_code'], unique=False)
    op.create_index(op.f('ix_demo_score_criterion_id'), 'demo_score', ['criterion_id'], unique=False)
    op.create_index(op.f('ix_demo_score_source'), 'demo_score', ['source'], unique=False)
    op.create_geospatial_table('grid_cell',
    sa.Column('code', sa.String(length=15), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('township_code', sa.String(length=12), sa.Computed("left(code, 9) || '000'", persisted=True), nullable=False),
    sa.Column('county_code', sa.String(length=6), sa.Computed('left(code, 6)', persisted=True), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('geom_source', sa.Enum('official', 'illustrative', name='geometry_source', native_enum=False, create_constraint=True), nullable=True),
    sa.CheckConstraint("left(code, 12) = village_code AND code ~ '^[0-9]{15}$'", name=op.f('ck_grid_cell_code_extends_village')),
    sa.CheckConstraint('(geom IS NULL) = (geom_source IS NULL)', name=op.f('ck_grid_cell_geom_has_source')),
    sa.ForeignKeyConstraint(['village_code'], ['region.code'], name=op.f('fk_grid_cell_village_code_region')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_grid_cell'))
    )
    op.create_geospatial_index('idx_grid_cell_geom', 'grid_cell', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_grid_cell_county_code'), 'grid_cell', ['county_code'], unique=False)
    op.create_index(op.f('ix_grid_cell_township_code'), 'grid_cell', ['township_code'], unique=False)
    op.create_index(op.f('ix_grid_cell_village_code'), 'grid_cell', ['village_code'], unique=False)
    op.create_table('screening_report',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('unit_code', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.Enum('weekly', 'immediate', 'follow_up', 'daily', 'half_monthly', name='report_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('is_zero', sa.Boolean(), nullable=False),
    sa.Column('disputes_found', sa.Integer(), server_default='0', nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.Enum('demo', 'import', 'entered', name='record_source', native_enum=False, create_constraint=True), nullable=False),
    sa.CheckConstraint('NOT is_zero OR disputes_found = 0', name=op.f('ck_screening_report_zero_found_nothing')),
    sa.CheckConstraint('disputes_found >= 0', name=op.f('ck_screening_report_found_not_negative')),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_screening_report_period_ordered')),
    sa.ForeignKeyConstraint(['unit_code'], ['region.code'], name=op.f('fk_screening_report_unit_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screening_report')),
    sa.UniqueConstraint('unit_code', 'kind', 'period_start', name=op.f('uq_screening_report_unit_code_kind_period_start'))
    )
    op.create_index(op.f('ix_screening_report_period_start'), 'screening_report', ['period_start'], unique=False)
    op.create_index(op.f('ix_screening_report_source'), 'screening_report', ['source'], unique=False)
    op.create_index(op.f('ix_screening_report_unit_code'), 'screening_report', ['unit_code'], unique=False)
    op.create_geospatial_table('household',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=False),
    sa.Column('township_code', sa.String(length=12), sa.Computed("left(grid_code, 9) || '000'", persisted=True), nullable=False),
    sa.Column('county_code', sa.String(length=6), sa.Computed('left(grid_code, 6)', persisted=True), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('size', sa.SmallInteger(), nullable=False),
    sa.Column('head_name', sa.Text(), nullable=False),
    sa.Column('head_id_number', sa.String(length=18), nullable=True),
    sa.Column('head_phone', sa.String(length=20), nullable=True),
    sa.Column('source', sa.Enum('demo', 'import', 'entered', name='record_source', native_enum=False, create_constraint=True), nullable=False),
    sa.CheckConstraint('size > 0', name=op.f('ck_household_size_positive')),
    sa.ForeignKeyConstraint(['grid_code'], ['grid_cell.code'], name=op.f('fk_household_grid_code_grid_cell')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household'))
    )
    op.create_geospatial_index('idx_household_geom', 'household', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_household_county_code'), 'household', ['county_code'], unique=False)
    op.create_index(op.f('ix_household_grid_code'), 'household', ['grid_code'], unique=False)
    op.create_index(op.f('ix_household_source'), 'household', ['source'], unique=False)
    op.create_index(op.f('ix_household_township_code'), 'household', ['township_code'], unique=False)
    op.create_geospatial_table('party_member',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=False),
    sa.Column('township_code', sa.String(length=12), sa.Computed("left(grid_code, 9) || '000'", persisted=True), nullable=False),
    sa.Column('county_code', sa.String(length=6), sa.Computed('left(grid_code, 6)', persisted=True), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('capacity', sa.SmallInteger(), server_default='15', nullable=False),
    sa.Column('source', sa.Enum('demo', 'import', 'entered', name='record_source', native_enum=False, create_constraint=True), nullable=False),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_party_member_capacity_positive')),
    sa.ForeignKeyConstraint(['grid_code'], ['grid_cell.code'], name=op.f('fk_party_member_grid_code_grid_cell')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_party_member'))
    )
    op.create_geospatial_index('idx_party_member_geom', 'party_member', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_party_member_county_code'), 'party_member', ['county_code'], unique=False)
    op.create_index(op.f('ix_party_member_grid_code'), 'party_member', ['grid_code'], unique=False)
    op.create_index(op.f('ix_party_member_source'), 'party_member', ['source'], unique=False)
    op.create_index(op.f('ix_party_member_township_code'), 'party_member', ['township_code'], unique=False)
    op.create_geospatial_table('risk_event',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('ref_no', sa.Text(), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=False),
    sa.Column('township_code', sa.String(length=12), sa.Computed("left(grid_code, 9) || '000'", persisted=True), nullable=False),
    sa.Column('county_code', sa.String(length=6), sa.Computed('left(grid_code, 6)', persisted=True), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('kind', sa.Enum('mass_gathering', 'extreme_act', 'negative_publicity', name='risk_event_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('participants', sa.Integer(), server_default='1', nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('handling', sa.Text(), nullable=True),
    sa.Column('source', sa.Enum('demo', 'import', 'entered', name='record_source', native_enum=False, create_constraint=True), nullable=False),
    sa.CheckConstraint('participants > 0', name=op.f('ck_risk_event_participants_positive')),
    sa.ForeignKeyConstraint(['grid_code'], ['grid_cell.code'], name=op.f('fk_risk_event_grid_code_grid_cell')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_event')),
    sa.UniqueConstraint('ref_no', name=op.f('uq_risk_event_ref_no'))
    )
    op.create_geospatial_index('idx_risk_event_geom', 'risk_event', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_risk_event_county_code'), 'risk_event', ['county_code'], unique=False)
    op.create_index(op.f('ix_risk_event_grid_code'), 'risk_event', ['grid_code'], unique=False)
    op.create_index(op.f('ix_risk_event_source'), 'risk_event', ['source'], unique=False)
    op.create_index(op.f('ix_risk_event_township_code'), 'risk_event', ['township_code'], unique=False)
    op.create_geospatial_table('dispute',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('ref_no', sa.Text(), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=False),
    sa.Column('township_code', sa.String(length=12), sa.Computed("left(grid_code, 9) || '000'", persisted=True), nullable=False),
    sa.Column('county_code', sa.String(length=6), sa.Computed('left(grid_code, 6)', persisted=True), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('domain', sa.Enum('urban_rural_construction', 'labour_social_security', 'law_litigation', 'rural_agriculture', 'economic_management', 'natural_resources', 'marriage_family', 'neighbourhood', 'other', name='dispute_domain', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('risk_level', sa.Enum('low', 'medium', 'high', 'critical', name='risk_level', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('status', sa.Enum('reported', 'mediating', 'resolved', 'escalated', name='dispute_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('channel', sa.Enum('peoples_mediation', 'administrative_mediation', 'judicial_mediation', 'petition_mediation', 'litigation_mediation', 'arbitration', 'reconsideration', 'one_stop_centre', name='resolution_channel', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('found_by_member_id', sa.BigInteger(), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('households_involved', sa.SmallInteger(), server_default='1', nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('source', sa.Enum('demo', 'import', 'entered', name='record_source', native_enum=False, create_constraint=True), nullable=False),
    sa.CheckConstraint("status <> 'resolved' OR resolved_at IS NOT NULL", name=op.f('ck_dispute_resolved_has_date')),
    sa.CheckConstraint('households_involved > 0', name=op.f('ck_dispute_households_positive')),
    sa.CheckConstraint('resolved_at IS NULL OR resolved_at >= reported_at', name=op.f('ck_dispute_resolved_after_reported')),
    sa.ForeignKeyConstraint(['found_by_member_id'], ['party_member.id'], name=op.f('fk_dispute_found_by_member_id_party_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['grid_code'], ['grid_cell.code'], name=op.f('fk_dispute_grid_code_grid_cell')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute')),
    sa.UniqueConstraint('ref_no', name=op.f('uq_dispute_ref_no'))
    )
    op.create_geospatial_index('idx_dispute_geom', 'dispute', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_dispute_county_reported', 'dispute', ['county_code', 'reported_at'], unique=False)
    op.create_index(op.f('ix_dispute_found_by_member_id'), 'dispute', ['found_by_member_id'], unique=False)
    op.create_index(op.f('ix_dispute_grid_code'), 'dispute', ['grid_code'], unique=False)
    op.create_index(op.f('ix_dispute_source'), 'dispute', ['source'], unique=False)
    op.create_index(op.f('ix_dispute_township_code'), 'dispute', ['township_code'], unique=False)
    op.create_table('member_household_link',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('member_id', sa.BigInteger(), nullable=False),
    sa.Column('household_id', sa.BigInteger(), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True),
    sa.Column('assigned_by', sa.Text(), nullable=False),
    sa.Column('ended_by', sa.Text(), nullable=True),
    sa.CheckConstraint('valid_to IS NULL OR valid_to > valid_from', name=op.f('ck_member_household_link_period_ordered')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_member_household_link_household_id_household'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['party_member.id'], name=op.f('fk_member_household_link_member_id_party_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_household_link'))
    )
    op.create_index('ix_member_household_link_active_member', 'member_household_link', ['member_id'], unique=False, postgresql_where=sa.text('valid_to IS NULL'))
    op.create_index('one_active_link_per_household', 'member_household_link', ['household_id'], unique=True, postgresql_where=sa.text('valid_to IS NULL'))
    op.create_index(op.f('ix_member_household_link_household_id'), 'member_household_link', ['household_id'], unique=False)
    op.create_index(op.f('ix_member_household_link_member_id'), 'member_household_link', ['member_id'], unique=False)
    op.create_table('dispute_household',
    sa.Column('dispute_id', sa.BigInteger(), nullable=False),
    sa.Column('household_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['dispute_id'], ['dispute.id'], name=op.f('fk_dispute_household_dispute_id_dispute'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_dispute_household_household_id_household'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dispute_id', 'household_id', name=op.f('pk_dispute_household'))
    )
    op.create_index(op.f('ix_dispute_household_household_id'), 'dispute_household', ['household_id'], unique=False)
    op.create_table('petition',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('ref_no', sa.Text(), nullable=False),
    sa.Column('origin_grid_code', sa.String(length=15), nullable=False),
    sa.Column('township_code', sa.String(length=12), sa.Computed("left(origin_grid_code, 9) || '000'", persisted=True), nullable=False),
    sa.Column('county_code', sa.String(length=6), sa.Computed('left(origin_grid_code, 6)', persisted=True), nullable=False),
    sa.Column('category', sa.Enum('suggestion', 'accusation', 'complaint_request', name='petition_category', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('channel', sa.Enum('letter', 'visit', 'online', 'hotline_12345', name='petition_channel', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('domain', sa.Enum('urban_rural_construction', 'labour_social_security', 'law_litigation', 'rural_agriculture', 'economic_management', 'natural_resources', 'marriage_family', 'neighbourhood', 'other', name='dispute_domain', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('petitioner_name', sa.Text(), nullable=True),
    sa.Column('petitioner_id_number', sa.String(length=18), nullable=True),
    sa.Column('petitioner_phone', sa.String(length=20), nullable=True),
    sa.Column('is_first', sa.Boolean(), nullable=False),
    sa.Column('previous_petition_id', sa.BigInteger(), nullable=True),
    sa.Column('head_count', sa.SmallInteger(), server_default='1', nullable=False),
    sa.Column('is_collective', sa.Boolean(), sa.Computed('head_count >= 5', persisted=True), nullable=False),
    sa.Column('lodged_level', sa.Enum('township', 'county', 'city', 'province', 'beijing', name='lodged_level', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('nationally_registered', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('status', sa.Enum('received', 'accepted', 'not_accepted', 'closed', name='petition_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('accepted_on', sa.Date(), nullable=True),
    sa.Column('extension_days', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('one_time_resolved', sa.Boolean(), nullable=True),
    sa.Column('satisfaction', sa.Enum('satisfied', 'basically_satisfied', 'dissatisfied', name='satisfaction', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('source_dispute_id', sa.BigInteger(), nullable=True),
    sa.Column('hotline_ticket', sa.Text(), nullable=True),
    sa.Column('source', sa.Enum('demo', 'import', 'entered', name='record_source', native_enum=False, create_constraint=True), nullable=False),
    sa.CheckConstraint("status <> 'closed' OR closed_on IS NOT NULL", name=op.f('ck_petition_closed_has_date')),
    sa.CheckConstraint('accepted_on IS NULL OR accepted_on >= received_on', name=op.f('ck_petition_accepted_after_received')),
    sa.CheckConstraint('closed_on IS NULL OR closed_on >= received_on', name=op.f('ck_petition_closed_after_received')),
    sa.CheckConstraint('extension_days BETWEEN 0 AND 30', name=op.f('ck_petition_extension_at_most_30')),
    sa.CheckConstraint('head_count > 0', name=op.f('ck_petition_head_count_positive')),
    sa.CheckConstraint('previous_petition_id IS NULL OR NOT is_first', name=op.f('ck_petition_repeat_links_back')),
    sa.ForeignKeyConstraint(['origin_grid_code'], ['grid_cell.code'], name=op.f('fk_petition_origin_grid_code_grid_cell')),
    sa.ForeignKeyConstraint(['previous_petition_id'], ['petition.id'], name=op.f('fk_petition_previous_petition_id_petition'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_dispute_id'], ['dispute.id'], name=op.f('fk_petition_source_dispute_id_dispute'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petition')),
    sa.UniqueConstraint('hotline_ticket', name=op.f('uq_petition_hotline_ticket')),
    sa.UniqueConstraint('ref_no', name=op.f('uq_petition_ref_no'))
    )
    op.create_index('ix_petition_county_received', 'petition', ['county_code', 'received_on'], unique=False)
    op.create_index(op.f('ix_petition_origin_grid_code'), 'petition', ['origin_grid_code'], unique=False)
    op.create_index(op.f('ix_petition_previous_petition_id'), 'petition', ['previous_petition_id'], unique=False)
    op.create_index(op.f('ix_petition_source'), 'petition', ['source'], unique=False)
    op.create_index(op.f('ix_petition_source_dispute_id'), 'petition', ['source_dispute_id'], unique=False)
    op.create_index(op.f('ix_petition_township_code'), 'petition', ['township_code'], unique=False)
    op.create_table('backlog_case',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('ref_no', sa.Text(), nullable=False),
    sa.Column('petition_id', sa.BigInteger(), nullable=True),
    sa.Column('county_code', sa.String(length=12), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('handed_down_by', sa.Text(), nullable=False),
    sa.Column('handed_down_on', sa.Date(), nullable=False),
    sa.Column('leader_name', sa.Text(), nullable=False),
    sa.Column('leader_title', sa.Text(), nullable=False),
    sa.Column('mode', sa.Enum('deadline_by_category', 'leader_owned', 'escalated', 'task_force', name='backlog_mode', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('open', 'resolved', 'stalled', name='backlog_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('resolved_on', sa.Date(), nullable=True),
    sa.Column('source', sa.Enum('demo', 'import', 'entered', name='record_source', native_enum=False, create_constraint=True), nullable=False),
    sa.CheckConstraint("status <> 'resolved' OR resolved_on IS NOT NULL", name=op.f('ck_backlog_case_resolved_has_date')),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_backlog_case_county_code_region')),
    sa.ForeignKeyConstraint(['petition_id'], ['petition.id'], name=op.f('fk_backlog_case_petition_id_petition'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_backlog_case')),
    sa.UniqueConstraint('ref_no', name=op.f('uq_backlog_case_ref_no'))
    )
    op.create_index(op.f('ix_backlog_case_county_code'), 'backlog_case', ['county_code'], unique=False)
    op.create_index(op.f('ix_backlog_case_petition_id'), 'backlog_case', ['petition_id'], unique=False)
    op.create_index(op.f('ix_backlog_case_source'), 'backlog_case', ['source'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_backlog_case_source'), table_name='backlog_case')
    op.drop_index(op.f('ix_backlog_case_petition_id'), table_name='backlog_case')
    op.drop_index(op.f('ix_backlog_case_county_code'), table_name='backlog_case')
    op.drop_table('backlog_case')
    op.drop_index(op.f('ix_petition_township_code'), table_name='petition')
    op.drop_index(op.f('ix_petition_source_dispute_id'), table_name='petition')
    op.drop_index(op.f('ix_petition_source'), table_name='petition')
    op.drop_index(op.f('ix_petition_previous_petition_id'), table_name='petition')
    op.drop_index(op.f('ix_petition_origin_grid_code'), table_name='petition')
    op.drop_index('ix_petition_county_received', table_name='petition')
    op.drop_table('petition')
    op.drop_index(op.f('ix_dispute_household_household_id'), table_name='dispute_household')
    op.drop_table('dispute_household')
    op.drop_index(op.f('ix_member_household_link_member_id'), table_name='member_household_link')
    op.drop_index(op.f('ix_member_household_link_household_id'), table_name='member_household_link')
    op.drop_index('one_active_link_per_household', table_name='member_household_link', postgresql_where=sa.text('valid_to IS NULL'))
    op.drop_index('ix_member_household_link_active_member', table_name='member_household_link', postgresql_where=sa.text('valid_to IS NULL'))
    op.drop_table('member_household_link')
    op.drop_index(op.f('ix_dispute_township_code'), table_name='dispute')
    op.drop_index(op.f('ix_dispute_source'), table_name='dispute')
    op.drop_index(op.f('ix_dispute_grid_code'), table_name='dispute')
    op.drop_index(op.f('ix_dispute_found_by_member_id'), table_name='dispute')
    op.drop_index('ix_dispute_county_reported', table_name='dispute')
    op.drop_geospatial_index('idx_dispute_geom', table_name='dispute', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('dispute')
    op.drop_index(op.f('ix_risk_event_township_code'), table_name='risk_event')
    op.drop_index(op.f('ix_risk_event_source'), table_name='risk_event')
    op.drop_index(op.f('ix_risk_event_grid_code'), table_name='risk_event')
    op.drop_index(op.f('ix_risk_event_county_code'), table_name='risk_event')
    op.drop_geospatial_index('idx_risk_event_geom', table_name='risk_event', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('risk_event')
    op.drop_index(op.f('ix_party_member_township_code'), table_name='party_member')
    op.drop_index(op.f('ix_party_member_source'), table_name='party_member')
    op.drop_index(op.f('ix_party_member_grid_code'), table_name='party_member')
    op.drop_index(op.f('ix_party_member_county_code'), table_name='party_member')
    op.drop_geospatial_index('idx_party_member_geom', table_name='party_member', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('party_member')
    op.drop_index(op.f('ix_household_township_code'), table_name='household')
    op.drop_index(op.f('ix_household_source'), table_name='household')
    op.drop_index(op.f('ix_household_grid_code'), table_name='household')
    op.drop_index(op.f('ix_household_county_code'), table_name='household')
    op.drop_geospatial_index('idx_household_geom', table_name='household', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('household')
    op.drop_index(op.f('ix_screening_report_unit_code'), table_name='screening_report')
    op.drop_index(op.f('ix_screening_report_source'), table_name='screening_report')
    op.drop_index(op.f('ix_screening_report_period_start'), table_name='screening_report')
    op.drop_table('screening_report')
    op.drop_index(op.f('ix_grid_cell_village_code'), table_name='grid_cell')
    op.drop_index(op.f('ix_grid_cell_township_code'), table_name='grid_cell')
    op.drop_index(op.f('ix_grid_cell_county_code'), table_name='grid_cell')
    op.drop_geospatial_index('idx_grid_cell_geom', table_name='grid_cell', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('grid_cell')
    op.drop_index(op.f('ix_demo_score_source'), table_name='demo_score')
    op.drop_index(op.f('ix_demo_score_criterion_id'), table_name='demo_score')
    op.drop_index(op.f('ix_demo_score_county_code'), table_name='demo_score')
    op.drop_table('demo_score')
    op.drop_index(op.f('ix_demo_county_status_source'), table_name='demo_county_status')
    op.drop_table('demo_county_status')
    op.drop_table('app_user')
    op.drop_index(op.f('ix_region_parent_code'), table_name='region')
    op.drop_index(op.f('ix_region_level'), table_name='region')
    op.drop_index(op.f('ix_region_county_code'), table_name='region')
    op.drop_geospatial_index('idx_region_geom', table_name='region', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('region')
    op.drop_table('demo_load')
    op.drop_table('demo_criterion')
    op.drop_index(op.f('ix_audit_log_username'), table_name='audit_log')
    op.drop_index(op.f('ix_audit_log_at'), table_name='audit_log')
    op.drop_table('audit_log')
